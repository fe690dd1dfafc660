"""Lower precision than asked is one verdict, not many (nncheck.precision, settle_precision).

The broken implementations are in tests/precision/float32_components.py: correct code that
computes in float32, and float32 code with a bug beyond its rounding.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from nncheck.api import check
from nncheck.compare import Mismatch
from nncheck.precision import FLOAT32_ROUNDOFF, probe, within_rounding
from nncheck.reference import batchnorm as ref_bn
from nncheck.reference import losses as ref_losses
from nncheck.verdict import Verdict, settle_precision

FLOAT32_FILE = Path(__file__).parent / "precision" / "float32_components.py"


def _float32_components():
    spec = importlib.util.spec_from_file_location("float32_components", FLOAT32_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RNG = np.random.default_rng(7)
X = RNG.normal(size=(16, 5)) * 3 + 10
GAMMA, BETA = RNG.normal(size=5), RNG.normal(size=5)
SCORES, LABELS = RNG.normal(size=(12, 4)), RNG.integers(0, 4, 12)


def test_probe_finds_float32_arithmetic():
    f32 = _float32_components()
    found = probe("batchnorm_train", f32.batchnorm_train, ref_bn.batchnorm_train,
                  (X, GAMMA, BETA), {})
    assert found is not None and "lower precision" in found.describe()
    assert probe("softmax_loss", f32.softmax_loss, ref_losses.softmax_loss,
                 (SCORES, LABELS), {}) is not None


def _eps_outside_sqrt(x, gamma, beta, eps=1e-5):
    out = gamma * (x - x.mean(0)) / (np.sqrt(x.var(0)) + eps) + beta
    return out, None


def _ignores_beta(x, gamma, beta, eps=1e-5):
    return ref_bn.batchnorm_train(x, gamma, np.zeros_like(beta), eps)


def _gradient_times_n(scores, y):
    loss, dscores = ref_losses.softmax_loss(scores, y)
    return loss, dscores * len(scores)


@pytest.mark.parametrize("fn, component, args", [
    (ref_bn.batchnorm_train, "batchnorm_train", (X, GAMMA, BETA)),
    (_eps_outside_sqrt, "batchnorm_train", (X, GAMMA, BETA)),
    (_ignores_beta, "batchnorm_train", (X, GAMMA, BETA)),
    (_gradient_times_n, "softmax_loss", (SCORES, LABELS)),
], ids=["reference", "eps outside sqrt", "ignores beta", "gradient times N"])
def test_probe_never_takes_float64_code_for_low_precision(fn, component, args):
    """Correct and buggy float64 code alike: the evidence is precision, never a bug."""
    reference = {"batchnorm_train": ref_bn.batchnorm_train,
                 "softmax_loss": ref_losses.softmax_loss}[component]
    assert probe(component, fn, reference, args, {}) is None


def test_probe_gives_up_quietly():
    def raises(*args):
        raise ValueError("no")

    assert probe("softmax_loss", raises, ref_losses.softmax_loss, (SCORES, LABELS), {}) is None
    assert probe("softmax_loss", ref_losses.softmax_loss, ref_losses.softmax_loss,
                 (), {}) is None  # no float input


def _mismatch(actual, expected):
    return Mismatch("m", name="m", actual=np.asarray(actual, float),
                    expected=np.asarray(expected, float))


def test_within_rounding_is_float32_sized():
    expected = RNG.normal(size=50) * 100
    rounded = expected.astype(np.float32).astype(np.float64)
    assert within_rounding(_mismatch(rounded, expected), ())
    assert not within_rounding(_mismatch(expected * (1 + 1e-3), expected), ())
    # the example's inputs set the scale: x - mean(x) at a large mean
    small = np.full(3, 1e-6)
    assert within_rounding(_mismatch(small + 1e4 * 100 * FLOAT32_ROUNDOFF, small), (np.full(3, 1e4),))
    assert not within_rounding(AssertionError("x"), ())
    assert not within_rounding(_mismatch(np.zeros(2), np.zeros(3)), ())


def _verdict(invariant, status="failed", finding="", within=True, component="softmax_loss"):
    return Verdict(component, invariant, status, f"t::{invariant}", message=f"saw {invariant}",
                   precision={"finding": finding, "within_rounding": within})


def test_settle_precision_keeps_one_failure_that_names_the_cause():
    verdicts = [_verdict("b_rounding"), _verdict("a_found", finding="FOUND"),
                _verdict("c_beyond", within=False), _verdict("d_passed", status="passed"),
                _verdict("e_other", component="svm_loss")]
    settle_precision(verdicts)
    by = {v.invariant: v for v in verdicts}
    assert by["a_found"].status == "failed" and by["a_found"].message.startswith("FOUND")
    assert by["b_rounding"].status == "blocked"
    assert "waits for the precision of softmax_loss" in by["b_rounding"].message
    assert "saw b_rounding" in by["b_rounding"].message
    assert by["c_beyond"].status == "failed" and by["c_beyond"].message == "saw c_beyond"
    assert by["d_passed"].status == "passed" and by["e_other"].status == "failed"
    before = [(v.status, v.message) for v in verdicts]
    assert [(v.status, v.message) for v in settle_precision(verdicts)] == before


def test_settle_precision_needs_a_finding():
    verdicts = [_verdict("a"), _verdict("b")]
    settle_precision(verdicts)
    assert [v.status for v in verdicts] == ["failed", "failed"]


def test_float32_components_get_one_verdict_each_that_names_precision():
    report = check(str(FLOAT32_FILE), components=["batchnorm_train", "softmax_loss", "svm_loss"],
                   seed=0, use_database=False)
    by = {c["name"]: c["invariants"] for c in report["components"]}
    for name in ("batchnorm_train", "softmax_loss"):  # correct float32 code
        failed = [i for i in by[name] if i["status"] == "failed"]
        assert len(failed) == 1, [i["message"][:80] for i in failed]
        assert failed[0]["message"].startswith(f"{name} computes in lower precision")
        blocked = [i for i in by[name] if i["status"] == "blocked"]
        assert blocked and all("waits for the precision" in i["message"] for i in blocked)
    # float32 code with a real bug: its failures beyond float32 rounding stay failures
    real = [i for i in by["svm_loss"] if i["status"] == "failed"
            and not i["message"].startswith("svm_loss computes")]
    assert real and all(not i["precision"]["within_rounding"] for i in real)
    assert not report["summary"]["conforms"]


def test_the_failure_that_names_precision_is_one_no_other_component_can_block():
    """settle_blocked blocks a failure that also needs a failing component; the finding
    must stay on a failure of the component alone, and a component whose failures are
    all blocked on its precision still blocks the invariants that need it."""
    from nncheck.verdict import settle_blocked

    needs_other = _verdict("a_needs", finding="FOUND", component="spatial_batchnorm_train")
    needs_other.needs = ["batchnorm_train"]
    alone = _verdict("b_alone", component="spatial_batchnorm_train")
    other = _verdict("x", component="batchnorm_train", within=False)
    backward = _verdict("c_backward", component="spatial_batchnorm_backward", within=False)
    backward.needs = ["spatial_batchnorm_train"]
    settle_blocked(settle_precision([needs_other, alone, other, backward]))
    assert alone.status == "failed" and alone.message.startswith("FOUND")
    assert needs_other.status == "blocked" and backward.status == "blocked"
    assert "waits for spatial_batchnorm_train" in backward.message
