"""``nncheck report merge``: one matrix across implementations and environments."""

from __future__ import annotations

import json

import pytest

from nncheck.cli import main
from nncheck.implementation import Implementation
from nncheck.report.merge import MATRIX_VERSION, merge
from nncheck.report.model import build_report, validate_report, write_report
from nncheck.verdict import Verdict


def _report(name: str, statuses: dict[str, str], label: str | None, monkeypatch) -> dict:
    if label:
        monkeypatch.setenv("TOX_ENV_NAME", label)
    else:
        monkeypatch.delenv("TOX_ENV_NAME", raising=False)
    monkeypatch.delenv("NNCHECK_ENV_LABEL", raising=False)
    verdicts = [Verdict(component=key.split("::")[0], invariant=key.split("::")[1],
                        status=status, test_id=f"t::{key}",
                        message=f"<b>{status}</b>" if status != "passed" else "")
                for key, status in statuses.items()]
    impl = Implementation(name, {"svm_loss": lambda s, y: None})
    report = build_report(verdicts, impl, spec=name, profile="ci", seed=1, duration_s=0.5)
    validate_report(report)
    return report


@pytest.fixture
def reports(tmp_path, monkeypatch):
    a = _report("alpha", {"svm_loss::x": "passed", "svm_loss::y": "failed"}, "py311-torch",
                monkeypatch)
    b = _report("beta", {"svm_loss::x": "passed", "softmax_loss::z": "not-implemented"},
                "py312-jax", monkeypatch)
    c = _report("alpha", {"svm_loss::x": "deviation"}, None, monkeypatch)
    paths = []
    for label, report in (("a", a), ("b", b), ("c", c)):
        paths.append(write_report(report, tmp_path / "tox" / label))
    return paths


def test_matrix_has_one_column_per_report_and_marks_what_did_not_run(reports):
    matrix = merge([json.loads(p.read_text()) for p in reports])
    labels = [c["label"] for c in matrix["columns"]]
    assert labels[:2] == ["py311-torch", "py312-jax"] and labels[2].startswith("alpha py3")
    rows = {(comp["name"], inv["invariant"]): inv["statuses"]
            for comp in matrix["components"] for inv in comp["invariants"]}
    assert rows == {("softmax_loss", "z"): ["not-run", "not-implemented", "not-run"],
                    ("svm_loss", "x"): ["passed", "passed", "deviation"],
                    ("svm_loss", "y"): ["failed", "not-run", "not-run"]}
    svm = next(c for c in matrix["components"] if c["name"] == "svm_loss")
    assert svm["statuses"] == ["failed", "passed", "deviation"]
    assert [c["conforms"] for c in matrix["columns"]] == [False, True, True]


def test_merge_command_finds_reports_in_folders_and_writes_md_html_json(reports, tmp_path,
                                                                        capsys):
    pytest.importorskip("jinja2")
    out = tmp_path / "matrix"
    assert main(["report", "merge", str(tmp_path / "tox"), "-o", str(out)]) == 0
    md = (out / "matrix.md").read_text()
    assert "| component | invariant | py311-torch | py312-jax | alpha py" in md
    assert "| | y | **FAIL** | - | - |" in md
    page = (out / "matrix.html").read_text()
    assert "<b>" not in page and "&lt;b&gt;failed&lt;/b&gt;" in page  # messages escaped
    assert page.count("chip st-failed") >= 2 and "DOES NOT CONFORM" in page
    assert json.loads((out / "matrix.json").read_text())["matrix_version"] == MATRIX_VERSION


def test_duplicate_labels_are_made_unique(reports):
    report = json.loads(reports[0].read_text())
    matrix = merge([report, report])
    assert [c["label"] for c in matrix["columns"]] == ["py311-torch", "py311-torch #2"]


def test_merge_usage_errors_are_one_line(tmp_path, capsys):
    assert main(["report", "merge", str(tmp_path / "nothing.json"), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("nncheck: error:") and "no such report" in err
    assert len(err.splitlines()) == 1
    (tmp_path / "empty").mkdir()
    assert main(["report", "merge", str(tmp_path / "empty"), "-o", str(tmp_path)]) == 2
    assert "no report.json" in capsys.readouterr().err
    bad = tmp_path / "old" / "report.json"
    bad.parent.mkdir()
    bad.write_text(json.dumps({"schema_version": "0.9"}))
    assert main(["report", "merge", str(bad), "-o", str(tmp_path)]) == 2
    assert "not compatible" in capsys.readouterr().err
