"""One verdict per (component, invariant), and how a test outcome becomes one.

Statuses (``STATUSES``):

* ``passed``           the invariant holds on every example drawn;
* ``failed``           a counterexample breaks it (an ``AssertionError``, including a
                       :class:`~nncheck.errors.ContractViolation`: NaN, wrong shape or dtype,
                       mutated input);
* ``error``            the implementation raised (or the property could not run);
* ``not-implemented``  the implementation lacks the component the invariant is about (or
                       the function behind it is not written yet, see
                       :mod:`nncheck.adapters.stubs`);
* ``blocked``          the invariant also needs another component (``needs``) that is
                       missing or fails its own invariants, so it could not be judged; the
                       message names the component it waits for (:func:`settle_blocked`);
* ``deviation``        the adapter declared a difference of convention covering it
                       (see :class:`~nncheck.implementation.Deviation`).
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field

from nncheck.errors import ImplementationFault, ImplementationRaised
from nncheck.messages import clean_counterexample, clean_message, clean_reproduce, is_draw_note

if sys.version_info < (3, 11):  # pragma: no cover - hypothesis installs the backport there
    from exceptiongroup import BaseExceptionGroup

STATUSES = ("passed", "failed", "error", "blocked", "not-implemented", "deviation")
# Worst first: a component's status is the worst of its invariants'.
SEVERITY = ("failed", "error", "blocked", "not-implemented", "deviation", "passed")
# The statuses a report of schema 1.4 or older does not count (read as 0 there).
NEWER_STATUSES = ("blocked",)
# The skip reasons the plugin gives an invariant it cannot run (see classify_setup).
NOT_IMPLEMENTED, BLOCKED = "not-implemented: ", "blocked: "

_MAX_MESSAGE = 4000
# The skip of a stub that raised during the call (stub_raised_reason), and who raised.
_RAISED = " raised NotImplementedError: "
_RAISED_NOT_IMPLEMENTED = re.compile(re.escape(NOT_IMPLEMENTED) + r"\S*?\.(\w+)" + re.escape(_RAISED))


def stub_raised_reason(label: str, text: str) -> str:
    """The skip reason of a call to ``label`` (``<impl>.<component>``) that raised
    NotImplementedError(``text``): *not-implemented*, or *blocked* when the invariant's
    owner is another component (classify_call tells them apart)."""
    return f"{NOT_IMPLEMENTED}{label}{_RAISED}{text}"


def _skip_status(reason: str) -> str:
    return "blocked" if reason.startswith(BLOCKED) else "not-implemented"


@dataclass
class Verdict:
    component: str
    invariant: str
    status: str
    test_id: str
    description: str = ""
    message: str = ""
    counterexample: str = ""
    reproduce: str = ""
    duration_s: float = 0.0
    false_alarm_rate: float | None = None
    # The calls of the shrunk counterexample, as data (nncheck.report.repro); failures only.
    example: dict | None = None
    # The other components the invariant calls (its owner is ``component``).
    needs: list[str] = field(default_factory=list)
    # A one-line hint when the failure matches a well-known cause (nncheck.hints).
    hint: str = ""
    # Failures only: what nncheck.precision found on the example ("finding", a text or "")
    # and whether the failure is no more than float32 rounding ("within_rounding").
    precision: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def invariant_name(item) -> str:
    name = getattr(item, "originalname", None) or item.name
    name = name.removeprefix("test_")
    callspec = getattr(item, "callspec", None)
    return f"{name}[{callspec.id}]" if callspec else name


def _base(item, marker, status, duration) -> Verdict:
    doc = (getattr(item.obj, "__doc__", None) or "").strip().splitlines()
    return Verdict(
        component=marker.args[0],
        invariant=invariant_name(item),
        status=status,
        test_id=item.nodeid,
        description=doc[0] if doc else "",
        duration_s=round(duration, 4),
        false_alarm_rate=marker.kwargs.get("false_alarm_rate"),
        needs=[c for c in marker.args[1:] if c != marker.args[0]],
    )


def classify_setup(item, marker, report, implementation) -> Verdict:
    """Setup did not pass: a not-implemented or blocked skip, or a fixture error."""
    if report.skipped:
        reason = _skip_reason(report)
        verdict = _base(item, marker, _skip_status(reason), report.duration)
        verdict.message = reason
    else:
        verdict = _base(item, marker, "error", report.duration)
        verdict.message = _truncate(str(report.longrepr))
    return verdict


def classify_call(item, marker, call, report, implementation, *, allowed=()) -> Verdict:
    """The verdict of a run invariant. ``allowed``: the messages of the comparisons that
    the deviation's bound let through (nncheck.compare.allowing)."""
    verdict = _base(item, marker, "passed", report.duration)
    invariant = verdict.invariant.split("[")[0]
    deviation = (implementation.deviation_for(verdict.component, invariant)
                 if implementation else None)
    if report.passed:
        if deviation is not None and deviation.kind == "mapped":
            verdict.status, verdict.message = "deviation", deviation.reason
        elif deviation is not None and deviation.bound is not None and allowed:
            verdict.status = "deviation"
            verdict.message = (f"{deviation.reason} (observed within its bound "
                               f"{deviation.bound.describe()}: {allowed[0]})")
        return verdict
    if report.skipped:
        reason = _skip_reason(report)
        verdict.status = _skip_status(reason)
        raiser = _RAISED_NOT_IMPLEMENTED.match(reason)
        if raiser and raiser.group(1) in verdict.needs:  # a stub this invariant also calls
            verdict.status = "blocked"
            reason = f"{BLOCKED}waits for {raiser.group(1)}: {reason.removeprefix(NOT_IMPLEMENTED)}"
        verdict.message = reason
        return verdict
    exc = call.excinfo.value if call.excinfo else None
    leaves = list(_leaves(exc)) if exc is not None else []
    fault = any(isinstance(e, ImplementationFault) for e in leaves)
    if fault:
        verdict.status = "error"  # a crash, hang or broken limit, never a counterexample
    elif any(isinstance(e, AssertionError) for e in leaves):
        verdict.status = "failed"
    else:
        verdict.status = "error"
    verdict.message = _truncate(_message(leaves) or str(report.longrepr))
    verdict.counterexample, verdict.reproduce = _hypothesis_notes(exc, leaves)
    if (verdict.status == "failed" and deviation is not None
            and deviation.kind == "expected-failure" and deviation.bound is None):
        verdict.status = "deviation"
        verdict.message = f"{deviation.reason} (observed: {verdict.message})"
    elif (verdict.status == "error" and not fault and deviation is not None
          and deviation.kind == "refusal"
          and any(isinstance(e, ImplementationRaised) for e in leaves)):
        verdict.status = "deviation"
        verdict.message = f"{deviation.reason} (it raised: {verdict.message})"
    return verdict


def settle_precision(verdicts: list[Verdict]) -> list[Verdict]:
    """Give a component that computes in lower precision than it was asked one failure
    that says so, instead of many that do not.

    A failed invariant whose example showed the component's output not following float64
    arithmetic (``precision["finding"]``, :func:`nncheck.precision.probe`) names the cause:
    the first such invariant (by name; one of the component alone before one that also needs
    another, one the finding explains before one it does not) keeps its failure, its
    message led by the finding.
    The component's other failures that are no more than float32 rounding
    (``precision["within_rounding"]``) become *blocked*, waiting for that precision, with
    what they saw; a larger failure stays a failure. Returns ``verdicts``, changed in
    place (settling them again changes nothing).
    """
    findings: dict[str, str] = {}  # component -> the finding of its first failure with one
    for v in sorted(verdicts, key=lambda v: v.invariant):
        if v.status == "failed" and (v.precision or {}).get("finding"):
            findings.setdefault(v.component, v.precision["finding"])
    for component, finding in findings.items():
        # first a failure of the component alone (one that also needs another component may
        # be blocked on that one by settle_blocked), then one the finding explains
        first = min((v for v in verdicts if v.component == component and v.status == "failed"),
                    key=lambda v: (bool(v.needs), not (v.precision or {}).get("within_rounding"),
                                   v.invariant))
        if not first.message.startswith(finding):
            first.message = f"{finding}; what this invariant saw: {first.message}"
        for v in verdicts:
            if (v.component == component and v is not first and v.status == "failed"
                    and (v.precision or {}).get("within_rounding")):
                v.status = "blocked"
                v.message = (f"{BLOCKED}waits for the precision of {component}, which computes "
                             f"in lower precision than float64 (see {first.invariant}); this "
                             f"difference is within float32 rounding; what this invariant "
                             f"saw: {v.message}")
    return verdicts


def settle_blocked(verdicts: list[Verdict]) -> list[Verdict]:
    """Mark *blocked* the failures of invariants that wait for a failing component.

    An invariant that also calls another component (``needs``: a backward pass run on the
    implementation's own forward, the running statistics of its forward) cannot be judged
    while that component fails its own invariants: its failure, or error, becomes
    *blocked*, naming the component and keeping what was observed. Components are settled
    in the order of their needs, so the first failing component of a chain keeps its
    failures and a run with a blocked verdict of this kind never conforms (in a cycle of
    needs too: the component settled first keeps them). Returns ``verdicts``, changed in
    place (settling them again changes nothing).
    """
    by_owner: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_owner.setdefault(v.component, []).append(v)
    failing: dict[str, list[str]] = {}  # component -> its invariants still failing
    for name in _needs_first(by_owner):
        for v in by_owner[name]:
            waits = [c for c in v.needs if failing.get(c)]
            if v.status in ("failed", "error") and waits:
                v.message = "; ".join(
                    f"{BLOCKED}waits for {c}, which fails {len(failing[c])} invariant(s) of "
                    f"its own ({', '.join(failing[c][:3])}{', ...' if len(failing[c]) > 3 else ''})"
                    for c in waits) + f"; what this invariant saw: {v.message}"
                v.status = "blocked"
        failing[name] = [v.invariant for v in by_owner[name] if v.status in ("failed", "error")
                         or v.message.startswith(f"{BLOCKED}waits for the precision of {name},")]
    return verdicts


def _needs_first(by_owner: dict[str, list[Verdict]]) -> list[str]:
    """The components of ``by_owner``, each after those its invariants need (in a cycle of
    needs, the component the cycle is entered from comes last)."""
    needs = {name: {c for v in items for c in v.needs} for name, items in by_owner.items()}
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order or name in visiting or name not in needs:
            return
        visiting.add(name)
        for other in sorted(needs[name]):
            visit(other)
        visiting.discard(name)
        order.append(name)

    for name in by_owner:
        visit(name)
    return order


def classify_crash(nodeid: str, *, elapsed: float | None = None,
                   fatal_error: str | None = None) -> Verdict | None:
    """The verdict for a property whose pytest-xdist worker died (a crash report).

    The implementation runs in a process of its own (nncheck.runtime.boundary), so a worker
    dies only when something outside the implementation ends it (a signal, the machine, or a
    fault of nncheck itself); the invariant still gets an *error*, never a pass.
    ``fatal_error`` is what the worker's faulthandler wrote, e.g. "Fatal Python error: ...".
    """
    from nncheck.api import invariant_of

    owner, invariant = invariant_of(nodeid)
    if not owner:
        return None
    after = f" after {elapsed:.1f} s" if elapsed is not None else ""
    cause = fatal_error.rstrip(".") if fatal_error else "it was killed or ended"
    return Verdict(
        component=owner,
        invariant=invariant,
        status="error",
        test_id=nodeid,
        message=f"the checker's worker process died while running this invariant{after} "
                f"({cause}); the implementation runs apart from it, so the invariant could "
                "not be judged",
    )


def _leaves(exc: BaseException):
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _leaves(inner)
    else:
        yield exc


def _message(leaves: list[BaseException]) -> str:
    parts = []
    for exc in leaves:
        if isinstance(exc, (AssertionError, ImplementationRaised, ImplementationFault)):
            text = clean_message(str(exc).strip()) or type(exc).__name__
        else:
            text = f"{type(exc).__name__}: {exc}"
        if text not in parts:
            parts.append(text)
    return "\n".join(parts)


def _hypothesis_notes(exc, leaves) -> tuple[str, str]:
    examples, blobs = [], []
    for e in [exc, *leaves]:
        notes = getattr(e, "__notes__", []) or []
        draws = [note for note in notes if is_draw_note(note)]  # this example's data.draw()s
        for note in notes:
            if note.startswith(("Falsifying", "Failing test case")):
                note = clean_counterexample(note, draws)
                if note not in examples:
                    examples.append(note)
            elif "@reproduce_failure" in note and note not in blobs:
                blobs.append(note)
    return "\n".join(examples), clean_reproduce("\n".join(blobs))


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + "\n... (truncated)"
