"""An invariant that waits for another component is *blocked*, not failed (issue 17, item 1).

``settle_blocked`` is tested on verdicts made here; the end-to-end tests run two course files
of tests/course/: one whose forward pass is not written yet, one whose forward pass is wrong.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nncheck.api import check
from nncheck.report.text import summary_lines
from nncheck.verdict import Verdict, settle_blocked

COURSE = Path(__file__).parent / "course"


def _verdict(component, invariant, status, *needs, message="observed"):
    return Verdict(component=component, invariant=invariant, status=status,
                   test_id=f"properties/x.py::test_{invariant}", message=message,
                   needs=list(needs))


def _statuses(verdicts):
    return {(v.component, v.invariant): v.status for v in verdicts}


def test_a_failure_waiting_for_a_failing_component_is_blocked():
    verdicts = [
        _verdict("batchnorm_backward", "grad", "failed", "batchnorm_train", message="dx off"),
        _verdict("batchnorm_backward", "shape", "passed", "batchnorm_train"),
        _verdict("batchnorm_backward", "raises", "error", "batchnorm_train"),
        _verdict("batchnorm_train", "standardizes", "failed"),
        _verdict("batchnorm_train", "shape", "passed"),
    ]
    settle_blocked(verdicts)
    assert _statuses(verdicts) == {
        ("batchnorm_backward", "grad"): "blocked", ("batchnorm_backward", "shape"): "passed",
        ("batchnorm_backward", "raises"): "blocked",
        ("batchnorm_train", "standardizes"): "failed", ("batchnorm_train", "shape"): "passed"}
    assert verdicts[0].message == (
        "blocked: waits for batchnorm_train, which fails 1 invariant(s) of its own "
        "(standardizes); what this invariant saw: dx off")
    before = [v.as_dict() for v in verdicts]
    assert [v.as_dict() for v in settle_blocked(verdicts)] == before  # settling twice: no change


@pytest.mark.parametrize("dependency", ["passed", "deviation", "not-implemented"])
def test_a_failure_is_kept_when_what_it_needs_does_not_fail(dependency):
    verdicts = [_verdict("dropout_backward", "grad", "failed", "dropout_forward"),
                _verdict("dropout_forward", "keeps", dependency)]
    settle_blocked(verdicts)
    assert verdicts[0].status == "failed" and verdicts[0].message == "observed"


def test_the_first_failing_component_of_a_chain_keeps_its_failures():
    """alt needs backward and train; backward needs train. Only train's failure is kept, so
    the run still does not conform; listed dependents-first to show the order is not the list's."""
    verdicts = [
        _verdict("batchnorm_backward_alt", "same", "failed", "batchnorm_backward",
                 "batchnorm_train"),
        _verdict("batchnorm_backward", "grad", "failed", "batchnorm_train"),
        _verdict("batchnorm_train", "ref", "failed"),
    ]
    settle_blocked(verdicts)
    assert [v.status for v in verdicts] == ["blocked", "blocked", "failed"]
    alt = verdicts[0].message
    assert "waits for batchnorm_train" in alt and "waits for batchnorm_backward" not in alt


def test_a_failure_of_the_component_waited_for_blocks_only_through_its_needs():
    verdicts = [_verdict("batchnorm_backward_alt", "same", "failed", "batchnorm_backward"),
                _verdict("batchnorm_backward", "grad", "failed")]
    settle_blocked(verdicts)
    assert [v.status for v in verdicts] == ["blocked", "failed"]


def test_a_cycle_of_needs_keeps_a_failure():
    verdicts = [_verdict("l1_penalty", "a", "failed", "l2_penalty"),
                _verdict("l2_penalty", "b", "failed", "l1_penalty")]
    settle_blocked(verdicts)
    assert sorted(v.status for v in verdicts) == ["blocked", "failed"]


def _by_component(report):
    return {c["name"]: {i["invariant"]: i for i in c["invariants"]} for c in report["components"]}


def test_a_backward_pass_whose_forward_is_not_written_is_blocked():
    report = check(str(COURSE / "layers_backward_first.py"),
                   components=["softmax_loss", "batchnorm_train", "batchnorm_backward"],
                   workers=0, use_database=False, seed=0)
    comps = _by_component(report)
    assert {i["status"] for i in comps["softmax_loss"].values()} == {"passed"}
    assert {i["status"] for i in comps["batchnorm_train"].values()} == {"not-implemented"}
    backward = comps["batchnorm_backward"].values()
    assert backward and {i["status"] for i in backward} == {"blocked"}
    assert all(i["message"] == "blocked: waits for batchnorm_train: batchnorm_forward is not "
               "written yet (its body is only the course skeleton)" for i in backward)
    assert all(i["needs"] == ["batchnorm_train"] for i in backward)
    summary = report["summary"]
    assert summary["blocked"] == len(backward) and summary["failed"] == summary["error"] == 0
    assert summary["conforms"]
    status = {c["name"]: c["status"] for c in report["components"]}
    assert status["batchnorm_backward"] == "blocked"


def test_a_backward_pass_on_a_wrong_forward_is_blocked_not_failed():
    report = check(str(COURSE / "layers_forward_eps_outside.py"),
                   components=["batchnorm_train", "batchnorm_backward"],
                   workers=0, use_database=False, seed=0)
    comps = _by_component(report)
    assert "failed" in {i["status"] for i in comps["batchnorm_train"].values()}
    backward = {i["status"] for i in comps["batchnorm_backward"].values()}
    assert "blocked" in backward and not backward & {"failed", "error"}, backward
    blocked = [i for i in comps["batchnorm_backward"].values() if i["status"] == "blocked"]
    assert all(i["message"].startswith("blocked: waits for batchnorm_train, which fails ")
               and "what this invariant saw: " in i["message"] for i in blocked)
    assert not report["summary"]["conforms"]


def test_the_summary_shows_only_what_was_written():
    """One row per component the file has; what it lacks is one line; blocked is explained."""
    verdicts = [_verdict("softmax_loss", "a", "passed"),
                _verdict("batchnorm_backward", "grad", "blocked", "batchnorm_train",
                         message="blocked: waits for batchnorm_train: batchnorm_forward is "
                                 "not written yet"),
                *[_verdict("svm_loss", f"s{k}", "not-implemented") for k in range(3)],
                _verdict("he_init", "h", "not-implemented")]

    class Impl:
        name, not_written = "mine", ["batchnorm_forward"]

    lines = summary_lines(verdicts, Impl())
    rows = [line.split()[0] for line in lines[1:] if not line.startswith(("not ", "BLOCKED"))]
    assert rows[:3] == ["batchnorm_backward", "softmax_loss", "TOTAL"]
    assert "not implemented: 2 component(s), 4 invariant(s) (report.md lists them)" in lines
    assert "not written yet: batchnorm_forward" in lines
    assert ("BLOCKED batchnorm_backward (1 invariant(s)) - waits for batchnorm_train: "
            "batchnorm_forward is not written yet") in lines
    assert lines[-1] == "mine: CONFORMS (4 invariant(s) not implemented, 1 invariant(s) blocked)"
