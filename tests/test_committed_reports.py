"""The committed report of the reference regenerates identically, apart from timings and
the machine (issue 17, item 8): reports/README.md gives the command, and its seed with no
example database decides every verdict, counterexample and measurement.

When an invariant is added or changed, write the report again with that command
(``nncheck check --impl reference --profile ci --seed 9 --no-database --report
reports/reference``) and commit it; this test then says whether anything else moved.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nncheck.api import check

pytestmark = pytest.mark.slow

COMMITTED = Path(__file__).resolve().parents[1] / "reports" / "reference" / "report.json"
# What may differ between two runs of one commit: when, how long, where, and how many workers
# (and, per verdict, the folder its property file was found in).
_RUN_FACTS = ("finished", "duration_s", "phases_s", "workers", "label")


def _without_timings(report: dict) -> dict:
    report = json.loads(json.dumps(report))
    report.pop("environment")
    for key in _RUN_FACTS:
        report["run"].pop(key, None)
    for comp in report["components"]:
        for verdict in comp["invariants"]:
            verdict.pop("duration_s")
            # Where pytest found the property file: the checkout, or an installed wheel.
            verdict["test_id"] = verdict["test_id"].split("::", 1)[-1]
    return report


def test_the_committed_reference_report_regenerates_identically():
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    run = committed["run"]
    again = check("reference", profile=run["profile"], seed=run["seed"], use_database=False,
                  workers=2)
    want, got = _without_timings(committed), _without_timings(again)
    for part in ("schema_version", "implementation", "run", "summary", "not_run"):
        assert got[part] == want[part], part
    assert [c["name"] for c in got["components"]] == [c["name"] for c in want["components"]]
    for mine, theirs in zip(got["components"], want["components"], strict=True):
        assert mine == theirs, mine["name"]
    assert got["measurements"] == want["measurements"]
    assert got == want
