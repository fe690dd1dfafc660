"""One-line hints for failures that match a well-known cause, from a small table.

A hint is added to a verdict (``Verdict.hint``) only when the evidence fits one row of
:data:`HINTS`. Each row reads numbers where it can, not the wording of a message:

* ``constant_factor``  a comparison (:class:`nncheck.compare.Mismatch`) or gradient check
                       (:class:`nncheck.gradcheck.GradientMismatch`) whose actual values are
                       the expected ones times one constant: N (batch size), C (classes), 2
                       or their inverses;
* ``log_sum_exp``      an exp-based loss returned inf/NaN on large scores;
* ``mutated_input``    the implementation changed an argument in place;
* ``keepdims``         shape ``(1, D)`` (or ``(D, 1)``) where ``(D,)`` is expected;
* ``eps_outside_sqrt`` batch normalization output equals ``(x - mean) / (sqrt(var) + eps)``,
                       recomputed from the failing call's inputs;
* ``drop_vs_keep``     dropout kept a fraction ``1 - p`` of the units instead of ``p``.

Each row has a test in ``tests/test_hints.py`` (named in the row) that runs a broken
implementation and asserts the hint, and the suite asserts that correct code and unrelated
failures get no hint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncheck.compare import Mismatch
from nncheck.errors import ContractViolation
from nncheck.gradcheck import GradientMismatch
from nncheck.stats import StatisticalAssertionError

# Components whose forward pass exponentiates scores (an overflow needs the max shift).
EXP_COMPONENTS = ("softmax_loss", "logistic_loss", "hierarchical_softmax_loss",
                  "total_objective")
DROPOUT_COMPONENTS = ("dropout_forward", "vanilla_dropout_forward", "dropconnect_forward")
# Arguments whose first axis is the batch (N) and whose second is the classes (C).
_BATCH_ARGS = ("scores", "x", "X", "node_scores", "pred", "unary", "dout", "y", "Y")
_CLASS_ARGS = ("scores",)
_LINEAR = ("linear_svm_loss", "total_objective")  # W is [D x C] there


@dataclass
class Evidence:
    """What a hint may look at: the failing invariant, its exceptions, its example."""

    component: str
    invariant: str
    errors: list[BaseException]
    example: dict | None = None
    _calls: list | None = field(default=None, repr=False)

    def of(self, kind):
        return [e for e in self.errors if isinstance(e, kind)]

    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """The example's calls as (component, {argument name: value}), values decoded
        where they are data (opaque ones left out)."""
        if self._calls is None:
            self._calls = _decoded_calls(self.example)
        return self._calls

    def arguments(self) -> dict[str, Any]:
        """The arguments of the last call of this component in the example."""
        found = [named for comp, named in self.calls() if comp == self.component]
        return found[-1] if found else {}


@dataclass(frozen=True)
class Hint:
    name: str
    test: str  # the test in tests/test_hints.py that shows the row firing
    match: Callable[[Evidence], str | None]  # the one-line hint, or None


def hint_for(component: str, invariant: str, errors: list[BaseException],
             example: dict | None = None) -> str:
    """The hint of the first row of :data:`HINTS` that matches, else ``""``."""
    evidence = Evidence(component, invariant.split("[")[0], list(errors), example)
    for row in HINTS:
        try:
            text = row.match(evidence)
        except Exception:  # a hint must never cost a verdict
            text = None
        if text:
            return text
    return ""


# ---------------------------------------------------------------------------- the rows

def _constant_factor(ev: Evidence) -> str | None:
    sizes = _sizes(ev)
    pairs = [(e.actual, e.expected, 1e-6) for e in ev.of(Mismatch)]
    pairs += [_analytic_numeric(e.result) for e in ev.of(GradientMismatch)
              if e.result is not None]  # (a failed result is falsy)
    for actual, expected, rtol in pairs:
        ratio = _constant_ratio(actual, expected, rtol)
        if ratio is None:
            continue
        for value, what, fix in _factors(sizes):
            for factor, form in ((value, "{} x expected"), (1.0 / value, "expected / {}")):
                if abs(ratio - factor) <= 10 * rtol * factor:
                    return (f"actual = {form.format(what)} everywhere: {fix}?")
    return None


def _factors(sizes: dict[str, int]):
    out = []
    if sizes.get("N", 0) > 2:
        out.append((float(sizes["N"]), f"{sizes['N']} (N, the batch size)",
                    "a missing or extra division by N (the data loss is the mean over "
                    "examples)"))
    if sizes.get("C", 0) > 2 and sizes.get("C") != sizes.get("N"):
        out.append((float(sizes["C"]), f"{sizes['C']} (C, the number of classes)",
                    "a mean over the classes where a sum is meant, or the reverse"))
    out.append((2.0, "2", "a factor 2 missing or extra (the 1/2 of 1/2 reg w^2, the 2 of "
                          "d(x^2)/dx = 2x, or a sum where the mean over a doubled batch is "
                          "meant)"))
    return out


def _sizes(ev: Evidence) -> dict[str, int]:
    named = ev.arguments()
    sizes: dict[str, int] = {}
    for name in _BATCH_ARGS:
        value = named.get(name)
        if isinstance(value, np.ndarray) and value.ndim >= 1 and "N" not in sizes:
            sizes["N"] = int(value.shape[0])
    for name in (*_CLASS_ARGS, "W") if ev.component in _LINEAR else _CLASS_ARGS:
        value = named.get(name)
        if isinstance(value, np.ndarray) and value.ndim == 2 and "C" not in sizes:
            sizes["C"] = int(value.shape[1])
    if not named:  # a gradient check logs no calls: the shape of the input it perturbed
        from nncheck.contract import COMPONENTS
        from nncheck.runtime.calling import parameter_names

        first = (parameter_names(COMPONENTS[ev.component]) or [""])[0]
        for exc in ev.of(GradientMismatch):
            inputs = exc.result.inputs if exc.result is not None else []
            shape = inputs[0].shape if inputs else ()
            if first in _BATCH_ARGS and len(shape) >= 1:
                sizes.setdefault("N", int(shape[0]))
            if first in _CLASS_ARGS and len(shape) == 2:
                sizes.setdefault("C", int(shape[1]))
    return sizes


def _analytic_numeric(result) -> tuple[np.ndarray, np.ndarray, float]:
    """A gradient check's analytic and numeric values (probed elements and directions, off
    kinks), with the agreement a numeric derivative allows."""
    probes = [p for rep in result.inputs for p in [*rep.elements, *rep.directions]
              if not p.kink and not p.note]
    return (np.array([p.analytic for p in probes], dtype=np.float64),
            np.array([p.numeric for p in probes], dtype=np.float64), 1e-4)


def _constant_ratio(actual: np.ndarray, expected: np.ndarray,
                    rtol: float = 1e-6) -> float | None:
    """actual / expected where that is one constant over every element that matters."""
    if actual.shape != expected.shape or not (np.all(np.isfinite(actual))
                                              and np.all(np.isfinite(expected))):
        return None
    scale = np.max(np.abs(expected), initial=0.0)
    if scale == 0.0:
        return None
    big = np.abs(expected) > 1e-9 * scale
    if not np.all((np.abs(actual) <= 1e-9 * np.max(np.abs(actual), initial=0.0)) | big):
        return None  # a value where zero is expected: not a constant factor
    ratio = actual[big] / expected[big]
    r = float(np.median(ratio)) if ratio.size else 0.0
    if ratio.size == 0 or not np.allclose(ratio, r, rtol=rtol, atol=0.0):
        return None
    return r if r > 0 and abs(r - 1.0) > 10 * rtol else None


def _log_sum_exp(ev: Evidence) -> str | None:
    if ev.component not in EXP_COMPONENTS:
        return None
    nonfinite = any("non-finite" in str(e) or "(not finite)" in str(e)
                    for e in ev.of(ContractViolation))
    nonfinite = nonfinite or any(
        not np.all(np.isfinite(e.actual)) and np.all(np.isfinite(e.expected))
        for e in ev.of(Mismatch))
    if not nonfinite:
        return None
    largest = max((float(np.max(np.abs(v), initial=0.0)) for v in ev.arguments().values()
                   if isinstance(v, np.ndarray) and v.dtype.kind == "f"), default=None)
    if largest is not None and largest < 50.0:
        return None  # not large scores: overflow of exp is not the cause
    if ev.component == "logistic_loss":
        return ("inf/NaN on large scores: exp overflowed; compute log(1 + exp(-z)) stably, "
                "e.g. np.logaddexp(0, -z) (the log-sum-exp shift)")
    return ("inf/NaN on large scores: exp overflowed; subtract each row's max score before "
            "exp (the log-sum-exp shift), e.g. scores - scores.max(axis=1, keepdims=True)")


def _mutated_input(ev: Evidence) -> str | None:
    if any("mutated its input" in str(e) for e in ev.of(ContractViolation)):
        return ("an argument was changed in place: copy it first (x = x.copy()) instead of "
                "x -= ..., x[...] = ... or np.exp(x, out=x) on an input")
    return None


def _keepdims(ev: Evidence) -> str | None:
    pairs = [(e.actual.shape, e.expected.shape) for e in ev.of(Mismatch)]
    pairs += [e.shapes for e in ev.of(ContractViolation) if hasattr(e, "shapes")]
    for got, want in pairs:
        got, want = tuple(got), tuple(want)
        if len(got) == len(want) + 1 and 1 in got and (
                got[1:] == want and got[0] == 1 or got[:-1] == want and got[-1] == 1):
            return (f"shape {got} where {want} is expected: a reduction with keepdims=True "
                    "kept an axis of length 1; drop keepdims (or index it away) for this value")
    return None


def _eps_outside_sqrt(ev: Evidence) -> str | None:
    if ev.component not in ("batchnorm_train", "batchnorm_inference"):
        return None
    named = ev.arguments()
    x, gamma, beta = (named.get(k) for k in ("x", "gamma", "beta"))
    if not all(isinstance(v, np.ndarray) for v in (x, gamma, beta)) or x.ndim != 2:
        return None
    eps = float(named.get("eps", 1e-5))
    if ev.component == "batchnorm_train":
        mean, std = x.mean(axis=0), x.std(axis=0)
    else:
        mean, var = named.get("running_mean"), named.get("running_var")
        if not (isinstance(mean, np.ndarray) and isinstance(var, np.ndarray)):
            return None
        std = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        wrong_out = gamma * (x - mean) / (std + eps) + beta
        right_out = gamma * (x - mean) / np.sqrt(std ** 2 + eps) + beta
        wrong_std = np.abs(gamma) * std / (std + eps)  # the per-feature std of wrong_out
    for exc in ev.of(Mismatch):
        for wrong, right in ((wrong_out, right_out), (wrong_std, None)):
            if (exc.actual.shape == wrong.shape and np.allclose(exc.actual, wrong, rtol=1e-9,
                                                                 atol=1e-12)
                    and (right is None or not np.allclose(wrong, right, rtol=1e-9, atol=1e-12))):
                return ("the result matches normalizing by sqrt(var) + eps: eps belongs "
                        "inside the square root, (x - mean) / sqrt(var + eps)")
    return None


def _drop_vs_keep(ev: Evidence) -> str | None:
    if ev.component not in DROPOUT_COMPONENTS:
        return None
    for exc in ev.of(StatisticalAssertionError):
        if "kept" not in exc.name or exc.interval is None or exc.observed is None:
            continue
        p, lo, hi = float(exc.expected), *exc.interval
        if abs(p - 0.5) > 0.05 and lo <= 1.0 - float(exc.observed) <= hi:
            return (f"the kept fraction {float(exc.observed):.3g} is about 1 - p, not "
                    f"p = {p:g}: here p is the probability of KEEPING a unit (a course "
                    "layers.py whose p is the drop probability declares --convention "
                    "dropout_p=drop)")
    return None


HINTS: tuple[Hint, ...] = (
    Hint("mutated_input", "test_hint_mutated_input", _mutated_input),
    Hint("log_sum_exp", "test_hint_log_sum_exp", _log_sum_exp),
    Hint("keepdims", "test_hint_keepdims", _keepdims),
    Hint("eps_outside_sqrt", "test_hint_eps_outside_sqrt", _eps_outside_sqrt),
    Hint("drop_vs_keep", "test_hint_drop_vs_keep", _drop_vs_keep),
    Hint("constant_factor", "test_hint_constant_factor", _constant_factor),
)


# ---------------------------------------------------------------------------- helpers

def _decoded_calls(example: dict | None) -> list[tuple[str, dict[str, Any]]]:
    from nncheck.contract import COMPONENTS
    from nncheck.report.repro import decode
    from nncheck.runtime.calling import parameter_names

    out = []
    for call in (example or {}).get("calls", []):
        comp = call.get("component")
        if comp not in COMPONENTS or call.get("method"):
            continue
        names = parameter_names(COMPONENTS[comp])
        named: dict[str, Any] = {}
        items = list(zip(names, call.get("args", []), strict=False))
        items += list(call.get("kwargs", {}).items())
        for name, data in items:
            try:
                named[name] = decode(data, outputs=None)
            except Exception:  # an opaque value or an earlier call's output
                continue
        out.append((comp, named))
    return out
