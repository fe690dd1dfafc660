"""docs/contract.md, generated from nncheck.contract (``nncheck list --markdown``)."""

from __future__ import annotations

from nncheck.contract import by_section

INTRO = """\
# The nncheck contract

Generated from `nncheck/contract.py` by `nncheck list --markdown > docs/contract.md`;
do not edit by hand (a test fails when this file is stale).

Every implementation checked by nncheck is held to the conventions below. Libraries that
follow other conventions are mapped onto these by their adapter, which declares each
mapping; the report lists those as *deviations*, never silently.

## Conventions

- Arrays are numpy `float64` at the boundary; adapters convert. An output of another dtype,
  a list instead of an array, a wrong shape, or a NaN/inf is a failure.
- Implementations must not modify their inputs.
- A data matrix `X` is `[N x D]`, one example per row. Preprocessing statistics are fitted on
  the training split only, then applied unchanged to every split.
- Population statistics: variance and standard deviation with `ddof=0`; covariance
  `X^T X / N` of the centered data.
- Weights are `[fan_in x fan_out]`, scores are `s = x @ W`, and "a neuron's weight vector" is a
  column of `W`.
- Dropout's `p` is the probability of **keeping** a unit. Inverted dropout divides by `p` at
  train time and is the identity at test time; vanilla dropout multiplies by `p` at test time.
- The L2 penalty is `1/2 * lambda * w^2` (gradient `lambda * w`); L1 is `lambda * |w|`.
- The data loss is the mean over the `N` examples of the per-example losses; per-example
  losses sum over classes, attributes or output dimensions.
- The multiclass SVM is Weston-Watkins with margin 1 (sum over `j != y_i`).
- Random components take an integer `seed`: same seed, same output.
- Gradients returned by a component are gradients of the value it returns.
"""


def contract_markdown() -> str:
    out = [INTRO]
    for section, comps in by_section().items():
        out += [f"## {section}", "",
                f"Properties: `properties/{comps[0].property_file}`.", "",
                "| component | signature | returns / meaning | conventions |",
                "|---|---|---|---|"]
        for comp in comps:
            conventions = "; ".join(c for c in comp.conventions[1:]) or "-"
            kind = " (estimator)" if comp.kind == "estimator" else ""
            out.append(f"| `{comp.name}`{kind} | `{comp.signature}` | {comp.summary} | "
                       f"{conventions} |")
        out.append("")
    return "\n".join(out)
