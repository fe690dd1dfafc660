"""The terminal summary printed at the end of a run."""

from __future__ import annotations

from collections import Counter, defaultdict

from nncheck.contract import COMPONENTS
from nncheck.report.model import describe_incomplete
from nncheck.verdict import STATUSES, Verdict

_HEAD = ("passed", "failed", "error", "not-impl", "deviation")


def summary_lines(verdicts: list[Verdict], implementation, *, not_run: list[dict] | None = None,
                  interrupted: str | None = None) -> list[str]:
    """The table of counts per component, the functions not written yet, the failures, and
    the verdict line.

    ``not_run`` and ``interrupted`` are those of ``build_report`` (nncheck/report/model.py):
    given either, the run is INCOMPLETE, which the last lines say instead of CONFORMS.
    """
    per: dict[str, Counter] = defaultdict(Counter)
    for v in verdicts:
        per[v.component][v.status] += 1
    width = max([len("component"), *(len(c) for c in per)])
    lines = [f"{'component':<{width}}  " + "  ".join(f"{h:>9}" for h in _HEAD)]
    for name in [c for c in COMPONENTS if c in per]:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{per[name][s]:>9}" for s in STATUSES))
    total = Counter(v.status for v in verdicts)
    lines.append(f"{'TOTAL':<{width}}  " + "  ".join(f"{total[s]:>9}" for s in STATUSES))
    unchecked = [c for c in COMPONENTS if c not in per]
    if unchecked:
        lines.append(f"{len(unchecked)} contract component(s) not checked in this run: "
                     + ", ".join(unchecked))
    not_written = getattr(implementation, "not_written", None)
    if not_written:
        lines.append("not written yet: " + ", ".join(not_written))
    for v in verdicts:
        if v.status in ("failed", "error"):
            first = v.message.splitlines()[0] if v.message else ""
            lines.append(f"{v.status.upper()} {v.component} :: {v.invariant} - {first}")
            if getattr(v, "hint", ""):
                lines.append(f"    hint: {v.hint}")
    failing = total["failed"] or total["error"]
    name = implementation.name if implementation else "?"
    if not_run or interrupted is not None:
        incomplete = describe_incomplete(interrupted, list(not_run or []))
        verdict = "DOES NOT CONFORM, and the run is " if failing else "NOT FULLY CHECKED: "
        return [*lines, *incomplete[1:], f"{name}: {verdict}{incomplete[0]}"]
    verdict = "DOES NOT CONFORM" if failing else "CONFORMS"
    partial = f" ({total['not-implemented']} invariant(s) not implemented)" if total[
        "not-implemented"] else ""
    lines.append(f"{name}: {verdict}{partial}")
    return lines
