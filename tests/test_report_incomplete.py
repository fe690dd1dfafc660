"""Reports of incomplete runs (interrupted, or with invariants not run): ``complete: false``,
never ``conforms``, and every rendering says INCOMPLETE (docs/report-schema.md)."""

from __future__ import annotations

import json

import pytest

from nncheck.cli import main
from nncheck.implementation import Implementation
from nncheck.report.markdown import render_markdown
from nncheck.report.merge import merge, render_matrix_markdown
from nncheck.report.model import (
    build_report,
    conforms,
    is_complete,
    validate_report,
    write_report,
)
from nncheck.report.text import summary_lines
from nncheck.verdict import Verdict

NOT_RUN = [{"component": "svm_loss", "invariant": f"inv{i}", "test_id": f"t::inv{i}"}
           for i in range(3)] + [{"component": "softmax_loss", "invariant": "z", "test_id": "t::z"}]


def _verdicts(status: str = "passed") -> list[Verdict]:
    return [Verdict(component="svm_loss", invariant="x", status=status, test_id="t::x",
                    message="" if status == "passed" else "boom")]


def _report(status: str = "passed", **incomplete) -> dict:
    impl = Implementation("mine", {"svm_loss": lambda s, y: None})
    report = build_report(_verdicts(status), impl, spec="mine.py", profile="dev", seed=1,
                          duration_s=0.1, **incomplete)
    validate_report(report)
    return report


def test_a_complete_run_says_so():
    report = _report()
    assert report["summary"]["complete"] and report["summary"]["not_run"] == 0
    assert report["not_run"] == [] and report["run"]["interrupted"] is None
    assert report["summary"]["conforms"] and conforms(report)


@pytest.mark.parametrize("incomplete", [{"not_run": NOT_RUN}, {"interrupted": "SIGINT"},
                                        {"not_run": NOT_RUN, "interrupted": "SIGTERM"}])
def test_an_incomplete_run_never_conforms(incomplete):
    report = _report(**incomplete)
    summary = report["summary"]
    assert summary["complete"] is False and summary["conforms"] is False
    assert summary["not_run"] == len(incomplete.get("not_run", []))
    assert report["not_run"] == incomplete.get("not_run", [])
    assert report["run"]["interrupted"] == incomplete.get("interrupted")
    assert not is_complete(report) and not conforms(report)


def test_the_schema_refuses_an_incomplete_report_that_claims_to_conform():
    import jsonschema

    report = _report(interrupted="SIGINT")
    report["summary"]["conforms"] = True
    with pytest.raises(jsonschema.ValidationError):
        validate_report(report)


def test_markdown_says_incomplete_and_lists_what_did_not_run():
    md = render_markdown(_report(not_run=NOT_RUN, interrupted="SIGINT"))
    assert "INCOMPLETE: interrupted by SIGINT; 4 invariant(s) not run" in md
    assert "not run: svm_loss: inv0, inv1, inv2" in md and "not run: softmax_loss: z" in md
    assert " conforms to" not in md


def test_html_says_incomplete_and_never_conforms():
    pytest.importorskip("jinja2")
    from nncheck.report.html import render_html

    page = render_html(_report(not_run=NOT_RUN, interrupted="SIGTERM"))
    assert 'id="incomplete"' in page and "interrupted by SIGTERM" in page
    assert "CONFORMS" not in page and "softmax_loss: z" in page
    assert "CONFORMS" in render_html(_report()) and 'id="incomplete"' not in render_html(_report())


def test_terminal_summary_says_incomplete_and_never_conforms():
    impl = Implementation("mine", {})
    lines = summary_lines(_verdicts(), impl, not_run=NOT_RUN, interrupted="SIGINT")
    text = "\n".join(lines)
    assert "CONFORMS" not in text
    assert lines[-1] == "mine: NOT FULLY CHECKED: INCOMPLETE: interrupted by SIGINT; " \
                        "4 invariant(s) not run"
    assert "  not run: svm_loss: inv0, inv1, inv2" in lines
    failing = summary_lines(_verdicts("failed"), impl, interrupted="SIGINT")
    assert failing[-1] == "mine: DOES NOT CONFORM, and the run is INCOMPLETE: interrupted by SIGINT"
    assert summary_lines(_verdicts(), impl)[-1] == "mine: CONFORMS"


def test_terminal_summary_lists_many_not_run_compactly():
    many = [{"component": "svm_loss", "invariant": f"i{n}", "test_id": ""} for n in range(100)]
    lines = summary_lines(_verdicts(), Implementation("mine", {}), not_run=many)
    assert len(lines) < 10 and "  ... and 60 more (listed in report.json)" in lines


def test_old_reports_without_the_fields_are_complete():
    report = _report()
    for key in ("complete", "not_run"):
        del report["summary"][key]
    del report["not_run"], report["run"]["interrupted"]
    assert is_complete(report) and conforms(report)
    assert " conforms to" in render_markdown(report)


def test_merge_marks_incomplete_columns(tmp_path):
    matrix = merge([_report(), _report(not_run=NOT_RUN, interrupted="SIGINT")])
    columns = matrix["columns"]
    assert [c["complete"] for c in columns] == [True, False]
    assert [c["conforms"] for c in columns] == [True, False]
    assert columns[1]["interrupted"] == "SIGINT" and columns[1]["not_run"] == 4
    assert "**INCOMPLETE** (interrupted by SIGINT; 4 not run)" in render_matrix_markdown(matrix)


def test_merge_render_and_repro_accept_incomplete_reports(tmp_path, capsys):
    report = _report("failed", not_run=NOT_RUN, interrupted="SIGINT")
    path = write_report(report, tmp_path / "r")
    assert main(["report", "merge", str(path), "-o", str(tmp_path / "m")]) == 0
    matrix = json.loads((tmp_path / "m" / "matrix.json").read_text())
    assert matrix["columns"][0]["complete"] is False
    assert main(["report", "render", str(path), "-o", str(tmp_path / "again")]) == 0
    assert "INCOMPLETE" in (tmp_path / "again" / "report.md").read_text()
    assert main(["repro", str(path)]) == 0
    assert "svm_loss::x" in capsys.readouterr().out
