"""The terminal summary printed at the end of a run."""

from __future__ import annotations

from collections import Counter, defaultdict

from nncheck.contract import COMPONENTS
from nncheck.report.model import describe_incomplete
from nncheck.verdict import BLOCKED, STATUSES, Verdict

_HEAD = ("passed", "failed", "error", "blocked", "not-impl", "deviation")
_NOT_RUN_HERE = ("not-implemented",)


def summary_lines(verdicts: list[Verdict], implementation, *, not_run: list[dict] | None = None,
                  interrupted: str | None = None) -> list[str]:
    """The table of counts per component, what is not written yet, what is blocked, the
    failures, and the verdict line.

    The table has a row for each component the implementation has (one with a verdict
    other than not-implemented); the components it lacks are counted in one line, and the
    functions of the user's file still to be written are named in another.
    ``not_run`` and ``interrupted`` are those of ``build_report`` (nncheck/report/model.py):
    given either, the run is INCOMPLETE, which the last lines say instead of CONFORMS.
    """
    per: dict[str, Counter] = defaultdict(Counter)
    for v in verdicts:
        per[v.component][v.status] += 1
    shown = [c for c in COMPONENTS if c in per and set(per[c]) - set(_NOT_RUN_HERE)]
    width = max([len("component"), *(len(c) for c in shown)])
    lines = [f"{'component':<{width}}  " + "  ".join(f"{h:>9}" for h in _HEAD)]
    for name in shown:
        lines.append(f"{name:<{width}}  " + "  ".join(f"{per[name][s]:>9}" for s in STATUSES))
    total = Counter(v.status for v in verdicts)
    lines.append(f"{'TOTAL':<{width}}  " + "  ".join(f"{total[s]:>9}" for s in STATUSES))
    lacking = [c for c in COMPONENTS if c in per and c not in shown]
    if lacking:
        lines.append(f"not implemented: {len(lacking)} component(s), "
                     f"{sum(per[c]['not-implemented'] for c in lacking)} invariant(s) "
                     "(report.md lists them)")
    unchecked = [c for c in COMPONENTS if c not in per]
    if unchecked:
        lines.append(f"{len(unchecked)} contract component(s) not checked in this run: "
                     + ", ".join(unchecked))
    not_written = getattr(implementation, "not_written", None)
    if not_written:
        lines.append("not written yet: " + ", ".join(not_written))
    lines += _blocked_lines(verdicts)
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
    apart = [f"{total[s]} invariant(s) {label}" for s, label in
             (("not-implemented", "not implemented"), ("blocked", "blocked")) if total[s]]
    lines.append(f"{name}: {verdict}" + (f" ({', '.join(apart)})" if apart else ""))
    return lines


def _blocked_lines(verdicts: list[Verdict]) -> list[str]:
    """One line per component with blocked invariants: how many, and what they wait for
    (the first blocked invariant's reason)."""
    blocked: dict[str, list[Verdict]] = {}
    for v in verdicts:
        if v.status == "blocked":
            blocked.setdefault(v.component, []).append(v)
    lines = []
    for name, items in blocked.items():
        reason = items[0].message.removeprefix(BLOCKED).split("; what this invariant saw:")[0]
        lines.append(f"BLOCKED {name} ({len(items)} invariant(s)) - {reason.splitlines()[0]}")
    return lines
