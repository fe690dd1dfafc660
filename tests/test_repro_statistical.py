"""``nncheck repro`` for a statistical invariant replays its test (issue 17, item 5): the
script is small, exits 1 when the invariant fails again under the run's seed and 0 when it
holds, and the report stores no calls for it (their sample is what makes a report huge)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nncheck
from nncheck.api import check
from nncheck.report.markdown import render_markdown
from nncheck.report.repro import find_failure, repro_script

MUTANT = Path(__file__).parent / "mutants" / "sparse_init_shared_positions.py"
FAILURE = "sparse_init::sparse_init_positions_random"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("stat")
    check(str(MUTANT), components=["sparse_init"], seed=5, use_database=False,
                  report_dir=out)
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def _run(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "repro.py"
    path.write_text(script, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(nncheck.__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path, env=env)


def test_the_report_stores_no_calls_for_a_statistical_failure(report):
    failure = find_failure(report, FAILURE)
    assert failure["status"] == "failed" and failure["false_alarm_rate"] is not None
    assert failure["example"] is None
    assert f"nncheck repro report.json {FAILURE} -o repro.py" in render_markdown(report)


def test_the_script_replays_the_statistical_test_and_exits_1(report, tmp_path):
    script = repro_script(report, find_failure(report, FAILURE))
    assert len(script) < 5000 and "--seed" in script and "'-k', 'test_sparse_init_positions" \
        "_random'" in script
    done = _run(script, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{FAILURE}: failed" in done.stdout and "REPRODUCED" in done.stdout


def test_the_script_exits_0_when_the_invariant_holds(report, tmp_path):
    """The same script, pointed at the reference: the test passes with that seed."""
    failure = find_failure(report, FAILURE)
    reference = {**report, "implementation": {**report["implementation"], "spec": "reference",
                                              "source": "nncheck.reference"}}
    done = _run(repro_script(reference, failure), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{FAILURE}: passed" in done.stdout and "Not reproduced" in done.stdout
