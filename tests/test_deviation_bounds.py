"""Bounded expected failures: a deviation says how large a difference the library's
convention explains, and a larger one fails (issue 17, item 7).

The implementations come from a factory module written here (``guarded:...``, found from
the current folder), the way an adapter builds one; each divides by ``n + guard`` as
torch.renorm and Keras MaxNorm do, and declares the 1e-7 guard's bound that both adapters
declare (nncheck.adapters.conventions).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from nncheck.api import check
from nncheck.compare import Mismatch, allowing, assert_close
from nncheck.implementation import Bound, Deviation

FACTORY = '''
import numpy as np
from nncheck.adapters.conventions import NORM_GUARD_BOUND
from nncheck.implementation import Deviation, Implementation
from nncheck.reference import regularization as ref


def guarded(guard):
    def max_norm_project(W, c):
        n = np.linalg.norm(W, axis=0)
        return W * np.where(n > c, c / (n + guard), 1.0)
    return max_norm_project


def _impl(fn, bound=NORM_GUARD_BOUND):
    return Implementation("guarded", {"max_norm_project": fn}, deviations=[
        Deviation("max_norm_project", "divides by n + 1e-7",
                  invariant="max_norm_matches_reference", kind="expected-failure",
                  bound=bound)])


def torch_like(options):
    return _impl(guarded(1e-7))


def larger_guard(options):   # 1e-3: far beyond the declared bound
    return _impl(guarded(1e-3))


def exact(options):
    return _impl(ref.max_norm_project)


def undeclared(options):
    return Implementation("guarded", {"max_norm_project": guarded(1e-7)})
'''

INVARIANT = "max_norm_matches_reference"


def _verdicts_of(tmp_path, monkeypatch, module: str, source: str, component: str):
    """``name -> {invariant: verdict}`` of ``module:name`` (a factory written to tmp_path)."""
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return lambda name: {i["invariant"]: i for c in check(
        f"{module}:{name}", components=[component], use_database=False,
        seed=0)["components"] for i in c["invariants"]}


@pytest.fixture
def factory(tmp_path, monkeypatch):
    return _verdicts_of(tmp_path, monkeypatch, "guarded", FACTORY, "max_norm_project")


def test_a_difference_within_the_bound_is_a_deviation_saying_what_was_seen(factory):
    got = factory("torch_like")[INVARIANT]
    assert got["status"] == "deviation", got
    assert "observed within its bound |actual - expected| <= 1e-07" in got["message"]


def test_a_difference_beyond_the_bound_fails(factory):
    got = factory("larger_guard")[INVARIANT]
    assert got["status"] == "failed", got
    assert "beyond the declared deviation's bound" in got["message"]


def test_an_exact_implementation_passes_despite_the_declaration(factory):
    assert factory("exact")[INVARIANT]["status"] == "passed"


def test_without_the_declaration_the_guard_fails(factory):
    assert factory("undeclared")[INVARIANT]["status"] == "failed"


def test_the_report_records_the_bound(factory, tmp_path):
    report = check("guarded:torch_like", components=["max_norm_project"], use_database=False,
                   seed=0)
    (declared,) = report["implementation"]["deviations"]
    assert declared["bound"] == {"atol": 1e-7, "rtol": 1e-12}


def test_allowing_lets_through_only_what_is_within_the_bound():
    expected = np.array([1.0, 2.0])
    with allowing(Bound(1e-3)) as allowance:
        assert_close(expected + 1e-4, expected, rtol=0, atol=0, name="x")
        with pytest.raises(Mismatch, match="beyond the declared deviation's bound"):
            assert_close(expected + 1e-2, expected, rtol=0, atol=0, name="x")
        with pytest.raises(Mismatch, match="shape"):
            assert_close(expected[:1], expected, rtol=0, atol=0, name="x")
    assert len(allowance.observed) == 1 and allowance.observed[0].startswith("x: 2 of 2")
    with pytest.raises(Mismatch):  # no bound in force any more
        assert_close(expected + 1e-4, expected, rtol=0, atol=0, name="x")


def test_a_bound_belongs_to_an_expected_failure_and_is_not_negative():
    with pytest.raises(ValueError, match="only an expected-failure"):
        Deviation("max_norm_project", "r", invariant=INVARIANT, bound=Bound(1e-7))
    with pytest.raises(ValueError, match="atol >= 0"):
        Bound(-1.0)


# ------------------------------------------------- a declared distribution (stats.DrawnFrom)

DRAWING = '''
import numpy as np
from scipy import stats
from nncheck.adapters.conventions import TRUNCATED_NORMAL, TRUNCATED_NORMAL_STD
from nncheck.implementation import Deviation, Implementation
from nncheck.reference import initialization as ref


def _glorot(draw):
    def glorot_init(fan_in, fan_out, seed):
        std = np.sqrt(2.0 / (fan_in + fan_out))
        return std * draw(np.random.default_rng(seed), (fan_in, fan_out))
    return glorot_init


def _impl(fn):
    return Implementation("drawing", {"glorot_init": fn}, deviations=[
        Deviation("glorot_init", "draws a truncated normal", invariant="glorot_init_normal_shape",
                  kind="expected-failure", bound=TRUNCATED_NORMAL)])


def truncated(options):  # what JAX and Keras do
    return _impl(_glorot(lambda rng, shape: stats.truncnorm.rvs(
        -2, 2, scale=1 / TRUNCATED_NORMAL_STD, size=shape, random_state=rng)))


def uniform(options):  # same variance, declared truncated normal: not what it draws
    return _impl(_glorot(lambda rng, shape: rng.uniform(-np.sqrt(3), np.sqrt(3), shape)))


def normal(options):
    return _impl(ref.glorot_init)
'''
SHAPE = "glorot_init_normal_shape"


@pytest.fixture
def drawing(tmp_path, monkeypatch):
    return _verdicts_of(tmp_path, monkeypatch, "drawing", DRAWING, "glorot_init")


def test_samples_that_follow_the_declared_distribution_are_a_deviation(drawing):
    got = drawing("truncated")
    assert got[SHAPE]["status"] == "deviation", got[SHAPE]
    assert "observed within its bound the samples follow a normal truncated" in got[SHAPE]["message"]
    assert got["glorot_init_variance"]["status"] == "passed"


def test_samples_that_follow_neither_distribution_fail(drawing):
    got = drawing("uniform")[SHAPE]
    assert got["status"] == "failed", got
    assert "beyond the declared deviation's bound" in got["message"]


def test_a_normal_passes_despite_the_declared_distribution(drawing):
    assert drawing("normal")[SHAPE]["status"] == "passed"


def test_the_report_records_the_distribution(drawing):
    report = check("drawing:truncated", components=["glorot_init"], use_database=False, seed=0)
    (declared,) = report["implementation"]["deviations"]
    assert declared["bound"]["family"] == "truncnorm"
    assert declared["bound"]["params"]["a"] == -2.0


def test_a_declared_distribution_is_a_continuous_scipy_family():
    from nncheck.stats import DrawnFrom

    with pytest.raises(ValueError, match="continuous scipy.stats family"):
        DrawnFrom("binom", {"n": 3, "p": 0.5}, "coin flips")
    with pytest.raises(TypeError):
        DrawnFrom("norm", {"shape": 1.0}, "a normal")
