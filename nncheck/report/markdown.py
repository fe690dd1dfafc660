"""report.md, rendered from the report dict."""

from __future__ import annotations

from nncheck.report.model import conforms, incomplete_lines
from nncheck.report.repro import replay_lines
from nncheck.verdict import STATUSES

_MARK = {"passed": "passed", "failed": "**FAILED**", "error": "**ERROR**",
         "blocked": "blocked", "not-implemented": "not implemented", "deviation": "deviation"}


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _timing(run: dict) -> str:
    """The workers and phases of the run, e.g. " (2 workers; startup 2.7 s, ...)", if recorded."""
    if "phases_s" not in run:
        return ""
    workers = run.get("workers", 0)
    where = f"{workers} worker{'s' * (workers != 1)}" if workers else "in-process"
    phases = ", ".join(f"{name} {seconds} s" for name, seconds in run["phases_s"].items())
    return f" ({where}; {phases})"


def _verdict(report: dict) -> str:
    """The verdict of the first line; an incomplete run has none unless something failed."""
    if conforms(report):
        return "conforms to the nncheck contract"
    failing = report["summary"]["failed"] or report["summary"]["error"]
    if not incomplete_lines(report):
        return "does NOT conform to the nncheck contract"
    return ("does NOT conform to the nncheck contract, and the run is **INCOMPLETE**" if failing
            else "was **NOT fully checked** against the nncheck contract: the run is "
                 "**INCOMPLETE**, so there is no verdict")


def _incomplete_section(report: dict) -> list[str]:
    """The INCOMPLETE banner and the invariants not run, one line per component."""
    lines = incomplete_lines(report, limit=None)
    if not lines:
        return []
    return [f"> **{_cell(lines[0])}**", ">",
            *(f"> - {_cell(line.strip())}" for line in lines[1:]), ""]


def render_markdown(report: dict) -> str:
    impl, run, summary = report["implementation"], report["run"], report["summary"]
    env = report["environment"]
    verdict = _verdict(report)
    out = [
        f"# nncheck conformance report: {impl['name']}",
        "",
        f"**{impl['name']}** {impl.get('version') or ''} {verdict} "
        f"(schema {report['schema_version']}, nncheck {report['nncheck_version']}).",
        "",
        *_incomplete_section(report),
        f"- spec: `{impl['spec']}`; profile: {run['profile']}; seed: {run['seed']}; "
        f"duration: {run['duration_s']} s{_timing(run)}; finished: {run['finished']}",
        *(["- conventions (declared or detected): "
           + ", ".join(f"`{_cell(k)}={_cell(v)}`" for k, v in impl["conventions"].items())]
          if impl.get("conventions") else []),
        f"- Python {env['python']} on {env['platform']}; "
        + ", ".join(f"{k} {v}" for k, v in env["packages"].items()),
        "",
        "| " + " | ".join(STATUSES) + " | total |",
        "|" + "---|" * (len(STATUSES) + 1),
        "| " + " | ".join(str(summary.get(s, 0)) for s in STATUSES) + f" | {summary['total']} |",
        "",
    ]
    if summary["unchecked_components"]:
        out += [f"Not checked in this run ({len(summary['unchecked_components'])} contract "
                "components): " + ", ".join(f"`{c}`" for c in summary["unchecked_components"]),
                ""]
    if impl.get("not_written"):
        out += ["Not written yet (a stub or the course skeleton, so not implemented): "
                + ", ".join(f"`{_cell(n)}`" for n in impl["not_written"]), ""]
    if summary.get("blocked"):
        out += [f"Blocked ({summary['blocked']} invariants): they also call a component that is "
                "missing or fails its own invariants, or their component computes in lower "
                "precision than asked and what they saw is within that rounding, so they could "
                "not be judged; each detail names what it waits for.", ""]
    if impl.get("deviations"):
        out += ["## Declared deviations", ""]
        out += [f"- `{d['component']}` / {d['invariant']} ({d['kind']}): {d['reason']}"
                for d in impl["deviations"]]
        out.append("")
    out += ["## Results", "", "| component | invariant | status | detail |", "|---|---|---|---|"]
    problems = []
    for comp in report["components"]:
        for inv in comp["invariants"]:
            detail = inv["message"].splitlines()[0] if inv["message"] else inv["description"]
            out.append(f"| `{comp['name']}` | {inv['invariant']} | {_MARK[inv['status']]} | "
                       f"{_cell(detail)} |")
            if inv["status"] in ("failed", "error"):
                problems.append((comp["name"], inv))
    out.append("")
    out += _false_alarm_section(report)
    if problems:
        out += ["## Failures and errors", ""]
        for name, inv in problems:
            out += [f"### {name} :: {inv['invariant']} ({inv['status']})", "",
                    inv["description"], "", "```text", inv["message"], "```", ""]
            if inv.get("hint"):
                out += [f"**Hint:** {inv['hint']}", ""]
            if inv["counterexample"]:
                out += ["Counterexample (shrunk by Hypothesis):", "", "```python",
                        inv["counterexample"], "```", ""]
            failure = {**inv, "id": f"{name}::{inv['invariant']}", "component": name}
            out += ["Re-run:", "", "```sh", *replay_lines(report, failure), "```", ""]
            if inv["reproduce"]:
                out += [inv["reproduce"], ""]
    return "\n".join(out)


def _false_alarm_section(report: dict) -> list[str]:
    """The statistical invariants with the probability that each rejects a correct
    implementation in one run (what their tests were calibrated to), and the bound for the
    run as a whole (their sum, by the union bound)."""
    rated = [(comp["name"], inv) for comp in report["components"] for inv in comp["invariants"]
             if inv.get("false_alarm_rate") is not None]
    if not rated:
        return []
    total = min(1.0, sum(inv["false_alarm_rate"] for _, inv in rated))
    out = ["## False-alarm rates of the statistical invariants", "",
           f"{len(rated)} invariants test random behaviour with calibrated statistics; each "
           "rejects a correct implementation in one run with at most the probability below. "
           f"For the whole run that is at most {total:.2g} (their sum).", "",
           "| component | invariant | false-alarm rate per run |", "|---|---|---|"]
    out += [f"| `{name}` | {inv['invariant']} | {inv['false_alarm_rate']:.1e} |"
            for name, inv in rated]
    return out + [""]
