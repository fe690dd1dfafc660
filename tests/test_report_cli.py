"""The report commands end to end against a broken implementation from tests/mutants/.

One ``nncheck check --junitxml`` run against ``svm_without_max.py`` feeds every test:
pytest's own JUnit XML, the schema, ``nncheck repro`` (each failure's standalone script
reproduces it without Hypothesis and without nncheck, and shows no disagreement for a
correct implementation at the same inputs), and ``nncheck report render``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nncheck.cli import main
from nncheck.report.model import SCHEMA_VERSION, validate_report
from nncheck.report.repro import failures

BROKEN = Path(__file__).parent / "mutants" / "svm_without_max.py"
MUST_FAIL = {"svm_loss::svm_loss_nonnegative", "svm_loss::svm_matches_reference"}

# Run a script as __main__ with hypothesis (and, optionally, nncheck) made unimportable.
_BLOCKED_RUNNER = ("import runpy, sys\n"
                   "for name in sys.argv.pop(1).split(','):\n"
                   "    sys.modules[name] = None\n"
                   "path = sys.argv.pop(1)\n"
                   "runpy.run_path(path, run_name='__main__')\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("broken-run")
    code = main(["check", "--impl", str(BROKEN), "--component", "svm_loss", "--seed", "0",
                 "--report", str(out), "--junitxml", str(out / "junit.xml")])
    assert code == 1  # does not conform
    return json.loads((out / "report.json").read_text()), out


def test_report_validates_against_the_schema(run):
    report, _ = run
    validate_report(report)
    assert report["schema_version"] == SCHEMA_VERSION and report["run"]["seed"] == 0


def test_the_report_says_where_the_time_went(run):
    """``nncheck check`` runs in xdist workers by default (-n auto); the phases are
    consecutive parts of the run, so they add up to no more than its duration."""
    report, out = run
    timing = report["run"]
    assert timing["workers"] >= 1
    phases = timing["phases_s"]
    assert set(phases) == {"startup", "properties", "measurements"}
    assert phases["properties"] > 0
    assert sum(phases.values()) <= timing["duration_s"] + 0.05
    assert f"{timing['workers']} worker" in (out / "report.md").read_text()


def test_an_in_process_run_records_no_workers(tmp_path):
    from nncheck.api import check

    report = check(str(BROKEN), components=["svm_loss"], seed=0, profile="dev",
                   use_database=False, workers=0)
    assert report["run"]["workers"] == 0 and report["run"]["phases_s"]["properties"] > 0


def test_the_plugin_measures_the_checked_components_for_the_plots(run):
    report, out = run
    assert [(m["kind"], m["component"]) for m in report["measurements"]] == [
        ("gradient_errors", "svm_loss")]
    pytest.importorskip("matplotlib")
    pytest.importorskip("jinja2")
    assert 'id="plot-gradient-errors"' in (out / "report.html").read_text()


def test_junit_xml_from_pytest(run):
    report, out = run
    root = ET.parse(out / "junit.xml").getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    cases = suite.findall("testcase")
    failed = {c.get("name").removeprefix("test_") for c in cases if c.find("failure") is not None}
    want = {f["invariant"] for f in failures(report) if f["status"] == "failed"}
    assert failed == want and {k.split("::")[1] for k in MUST_FAIL} <= failed
    assert int(suite.get("tests")) == report["summary"]["total"] == len(cases)
    assert int(suite.get("failures")) == report["summary"]["failed"]


def test_every_failure_stores_its_counterexample_as_data(run):
    report, _ = run
    found = failures(report)
    assert MUST_FAIL <= {f["id"] for f in found}
    for failure in found:
        example = failure["example"]
        assert example["complete"] and example["calls"], failure["id"]
        assert all(c["component"] == "svm_loss" and c["expected"] for c in example["calls"])


def _script(out: Path, failure_id: str, tmp_path: Path) -> Path:
    path = tmp_path / "repro.py"
    assert main(["repro", str(out / "report.json"), failure_id, "-o", str(path)]) == 0
    return path


def _run_blocked(script: Path, blocked: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _BLOCKED_RUNNER, blocked, str(script), *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": ""})


@pytest.mark.parametrize("failure_id", sorted(MUST_FAIL))
def test_repro_script_reproduces_without_hypothesis_or_nncheck(run, failure_id, tmp_path):
    report, out = run
    script = _script(out, failure_id, tmp_path)
    done = _run_blocked(script, "hypothesis,nncheck")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "REPRODUCED" in done.stdout and "DISAGREE output[0]" in done.stdout
    # the stored inputs are the property's counterexample: there the broken loss is negative
    # (svm_loss_nonnegative) or differs from the reference's (svm_matches_reference)
    from nncheck.adapters.module import load_file_as_module
    from nncheck.reference.losses import svm_loss as reference_svm_loss
    from nncheck.report.repro import decode

    failure = next(f for f in failures(report) if f["id"] == failure_id)
    args = [decode(a) for a in failure["example"]["calls"][0]["args"]]
    broken = load_file_as_module(BROKEN).svm_loss(*args)[0]
    if failure_id.endswith("nonnegative"):
        assert broken < 0
    else:
        assert abs(broken - reference_svm_loss(*args)[0]) > 1e-6


def test_repro_script_finds_no_disagreement_for_a_correct_implementation(run, tmp_path):
    _, out = run
    script = _script(out, "svm_loss::svm_loss_nonnegative", tmp_path)
    correct = tmp_path / "correct.py"
    correct.write_text("from nncheck.reference.losses import svm_loss  # noqa: F401\n")
    done = _run_blocked(script, "hypothesis", str(correct))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "agrees with the reference" in done.stdout and "DISAGREE" not in done.stdout


def test_repro_lists_failures_and_rejects_unknown_ids(run, capsys):
    report, out = run
    assert main(["repro", str(out)]) == 0
    listed = capsys.readouterr().out
    assert all(f["id"] in listed for f in failures(report))
    assert main(["repro", str(out), "no_such_invariant"]) == 2
    err = capsys.readouterr().err
    assert "is not a failure of this report" in err and len(err.strip().splitlines()) == 1
    assert main(["repro", str(out / "missing.json"), "1"]) == 2
    assert "no such report" in capsys.readouterr().err


def test_repro_by_number_prints_the_script(run, capsys):
    _, out = run
    assert main(["repro", str(out / "report.json"), "1"]) == 0
    script = capsys.readouterr().out
    compile(script, "repro.py", "exec")
    assert "import hypothesis" not in script and "from hypothesis" not in script


def test_report_render_rewrites_md_and_html(run, tmp_path):
    _, out = run
    pytest.importorskip("jinja2")
    assert main(["report", "render", str(out / "report.json"), "-o", str(tmp_path)]) == 0
    assert (tmp_path / "report.md").read_text() == (out / "report.md").read_text()
    assert (tmp_path / "report.html").read_text().count('class="card failed failure"') == len(
        [f for f in failures(json.loads((out / "report.json").read_text()))
         if f["status"] == "failed"])


def test_counterexamples_survive_xdist(tmp_path):
    """Under pytest-xdist the workers record; the controller's report.json still has them."""
    pytest.importorskip("xdist")
    from nncheck.api import check

    report = check(str(BROKEN), components=["svm_loss"], profile="dev", seed=0,
                   report_dir=tmp_path, workers=2)
    validate_report(report)
    found = {f["id"]: f for f in failures(report)}
    assert MUST_FAIL <= set(found)
    assert all(f["example"] and f["example"]["complete"] for f in found.values())
