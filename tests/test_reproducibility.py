"""Every failure replays: by the run's seed, by its ``@reproduce_failure`` blob, and from
Hypothesis' example database, which keeps failures across runs and tries them first."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import reproduce_failure
from hypothesis.errors import DidNotReproduce

from nncheck.adapters import load
from nncheck.api import check

MUTANT = Path(__file__).parent / "mutants" / "svm_without_max.py"


def _failures(report: dict) -> dict[str, dict]:
    return {f"{c['name']}::{i['invariant']}": i for c in report["components"]
            for i in c["invariants"] if i["status"] == "failed"}


def test_the_same_seed_gives_the_same_counterexamples():
    runs = [_failures(check(str(MUTANT), components=["svm_loss"], seed=7, use_database=False))
            for _ in range(2)]
    assert runs[0], "the mutant must fail for this test to mean anything"
    assert {k: v["counterexample"] for k, v in runs[0].items()} == \
           {k: v["counterexample"] for k, v in runs[1].items()}


COIN_FLIPPING_INIT = """
import numpy as np


def small_random_init(fan_in, fan_out, seed, scale=0.01):
    # seeded values, but a sign from numpy's global state: the same seed agrees half the time
    w = scale * np.random.default_rng(seed).standard_normal((fan_in, fan_out))
    return w * np.random.choice([-1.0, 1.0])  # noqa: NPY002


def calibrated_init(fan_in, fan_out, seed):
    return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)  # noqa: NPY002
"""


@pytest.mark.slow  # three runs of two components' invariants
def test_an_implementation_drawing_from_global_state_replays_too(tmp_path):
    """Its global random state is reseeded at load and before every invariant, so a fresh
    process's entropy, and what ran earlier in it (an xdist worker's share), change
    nothing: the same seed gives the same verdicts, messages and counterexamples."""
    path = tmp_path / "coin_flipping_init.py"
    path.write_text(COIN_FLIPPING_INIT, encoding="utf-8")
    runs = [check(str(path), seed=3, use_database=False, workers=n) for n in (0, 2, 2)]
    verdicts = [{(i["component"], i["invariant"]): (i["status"], i["message"],
                                                     i["counterexample"], i["example"])
                 for c in r["components"] for i in c["invariants"]} for r in runs]
    assert verdicts[0] == verdicts[1] == verdicts[2]
    assert verdicts[0][("small_random_init", "small_random_init_seeded")][0] == "failed"


def _blob(reproduce: str) -> tuple[str, bytes]:
    found = re.search(r"@reproduce_failure\('([^']+)', (b'[^']*')\)", reproduce)
    assert found, f"no @reproduce_failure blob in {reproduce!r}"
    return found.group(1), ast.literal_eval(found.group(2))


def test_the_reproduce_failure_blob_replays_the_failure():
    from nncheck.properties import test_loss_functions as props

    failures = _failures(check(str(MUTANT), components=["svm_loss"], seed=3, use_database=False))
    verdict = failures["svm_loss::svm_gradient_matches_autograd"]
    version, blob = _blob(verdict["reproduce"])
    prop = props.test_svm_gradient_matches_autograd
    prop._hypothesis_internal_use_seed = None  # left by the run above (same process)
    reproduce_failure(version, blob)(prop)
    try:
        with pytest.raises(AssertionError):  # the blob's input, against the mutant: fails
            prop(impl=load(str(MUTANT)))
        with pytest.raises(DidNotReproduce):  # the same input against the reference passes
            prop(impl=load("reference"))
    finally:
        prop._hypothesis_internal_use_reproduce_failure = None


CALL_LOGGING_SOFTMAX = '''
import os
import numpy as np

LOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "calls.log")


def softmax_loss(scores, y):
    """Correct, except that the loss is 1 too high once a score exceeds 1 in size."""
    wrong = bool(np.abs(scores).max() > 1.0)
    with open(LOG, "a") as log:
        log.write("wrong\\n" if wrong else "right\\n")
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean() + (1.0 if wrong else 0.0)
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return loss, dscores / n
'''


def test_the_example_database_tries_a_known_failure_first(tmp_path):
    impl = tmp_path / "logging_softmax.py"
    impl.write_text(CALL_LOGGING_SOFTMAX)
    log = tmp_path / "calls.log"
    database = tmp_path / "examples"

    def first_call(seed, use_database):
        log.unlink(missing_ok=True)
        failures = _failures(check(str(impl), components=["softmax_loss"], seed=seed,
                                   use_database=use_database,
                                   extra=["-k", "test_softmax_matches_reference"]))
        assert "softmax_loss::softmax_matches_reference" in failures
        return log.read_text().split()[0]

    # A fresh search starts from the simplest input (all scores 0), which is right here.
    assert first_call(seed=1, use_database=database) == "right"
    # The next run, with another seed, tries the saved counterexample before anything else...
    assert first_call(seed=2, use_database=database) == "wrong"
    # ...which it would not without the database.
    assert first_call(seed=2, use_database=False) == "right"
