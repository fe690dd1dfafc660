"""The mutation corpus: every mutant is rejected, and every property rejects some mutant.

Each file in ``tests/mutants/`` follows the native contract, carries one realistic bug (a
mistake learners or library authors make), and lists in ``MUST_FAIL`` the invariants
("component::invariant") that must reject it. The suite runs against each mutant's
components with a fixed seed and no example database (so a pass here is reproducible).
``benchmarks/mutants.py`` reports the kill rate and the time to the first counterexample.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nncheck.adapters.module import load_file_as_module
from nncheck.api import check, list_invariants
from nncheck.contract import COMPONENTS

pytestmark = pytest.mark.slow

MUTANTS_DIR = Path(__file__).parent / "mutants"
MUTANTS = sorted(MUTANTS_DIR.glob("*.py"))


def _module(path: Path):
    return load_file_as_module(path)


@pytest.mark.parametrize("path", MUTANTS, ids=lambda p: p.stem)
def test_mutant_is_rejected_on_its_component(path: Path):
    module = _module(path)
    must_fail = module.MUST_FAIL
    assert must_fail, f"{path.name} names no invariant in MUST_FAIL"
    components = sorted({key.split("::")[0] for key in must_fail})
    provided = [c for c in COMPONENTS if callable(getattr(module, c, None))]
    assert set(components) <= set(provided), f"{path.name} must define {components}"
    report = check(str(path), components=components, profile="ci", seed=0, use_database=False)
    got = {f"{v['component']}::{v['invariant']}": _rejection(v)
           for c in report["components"] for v in c["invariants"]}
    wrong = {key: got.get(key, "absent") for key in must_fail if got.get(key) != "failed"}
    assert not wrong, f"{path.name}: expected 'failed', got {wrong}"


def _rejection(verdict: dict) -> str:
    """The verdict's status, "failed" also for a failure blocked on its own component's
    precision (nncheck.verdict.settle_precision: the component computes in float32, one of
    its invariants fails naming that, and this one saw a difference of float32 size)."""
    precision = f"blocked: waits for the precision of {verdict['component']},"
    if verdict["status"] == "blocked" and verdict["message"].startswith(precision):
        return "failed"
    return verdict["status"]


def test_the_corpus_spans_every_component():
    assert len(MUTANTS) >= 60
    covered = {key.split("::")[0] for path in MUTANTS for key in _module(path).MUST_FAIL}
    assert sorted(set(COMPONENTS) - covered) == [], "components without a mutant"


def test_every_invariant_rejects_some_mutant():
    killed = {key for path in MUTANTS for key in _module(path).MUST_FAIL}
    every = {f"{comp}::{inv}" for comp, invs in list_invariants().items() for inv in invs}
    assert killed <= every, f"MUST_FAIL names unknown invariants: {sorted(killed - every)}"
    assert every - killed == set(), (
        "these invariants reject no mutant in tests/mutants/: "
        f"{sorted(every - killed)}")
