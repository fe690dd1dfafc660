"""The nncheck command: exit codes, one-line usage errors, list, report files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nncheck.cli import main

BROKEN = Path(__file__).parent / "mutants" / "softmax_gradient_not_averaged.py"


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nncheck.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_check_reference_exits_0_and_writes_reports(tmp_path):
    # -W error: any warning (pytest's start-up, a property, the reference) would end the run
    # or turn an invariant into an error; a clean run shows the user none.
    out = run_cli("check", "--profile", "dev", "--seed", "3", "--report", str(tmp_path / "r"),
                  "--", "-W", "error", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "warning" not in out.stdout.lower()
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["summary"]["conforms"] and report["run"]["seed"] == 3
    assert (tmp_path / "r" / "report.md").read_text().startswith("# nncheck conformance report")
    assert "CONFORMS" in out.stdout


def test_check_runs_without_a_checkout(tmp_path):
    """In an empty folder the suite comes from the installed package; reports/ by default."""
    out = run_cli("check", "--profile", "dev", "--seed", "1", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads((tmp_path / "reports" / "reference" / "report.json").read_text())
    assert report["summary"]["passed"] > 0 and report["summary"]["failed"] == 0


def test_broken_softmax_exits_1_and_names_the_counterexample(tmp_path):
    out = run_cli("check", "--impl", str(BROKEN), "--component", "softmax_loss", "--profile",
                  "dev", "--seed", "0", "--report", str(tmp_path), cwd=tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    failed = [i for c in report["components"] for i in c["invariants"] if i["status"] == "failed"]
    assert failed and all(i["component"] == "softmax_loss" for i in failed)
    assert any("softmax_matches_reference" == i["invariant"] for i in failed)
    assert all("batch=" in i["counterexample"] for i in failed)
    assert "softmax_loss :: softmax_matches_reference" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize("argv, fragment", [
    (["check", "--impl", "nope/missing.py"], "implementation file not found"),
    (["check", "--component", "softmax"], "unknown component 'softmax'"),
    (["check", "--profile", "fast"], "invalid choice"),
    (["check", "--seed", "x"], "invalid int value"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
    (["check", "--convention", "novalue"], "KEY=VALUE"),
])
def test_usage_errors_are_one_line_and_exit_2(capsys, argv, fragment):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_list_shows_every_component_and_invariant(capsys):
    from nncheck.contract import COMPONENTS

    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in COMPONENTS)
    assert "softmax_matches_reference" in text
    assert main(["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in listed] == list(COMPONENTS)


def test_contract_doc_is_current():
    from nncheck.contract_doc import contract_markdown

    doc = Path(__file__).parents[1] / "docs" / "contract.md"
    assert doc.read_text() == contract_markdown(), (
        "docs/contract.md is stale: run 'nncheck list --markdown > docs/contract.md'")
