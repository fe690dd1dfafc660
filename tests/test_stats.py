"""Tests of nncheck.stats: calibration (false alarms at the stated rate), power, messages.

Calibration is measured at a large alpha (0.05), where a false-alarm rate is observable:
each assertion runs on many data sets that satisfy its claim, and the number of false
alarms must be consistent (exact binomial, at 1e-6) with the test's size -- alpha for the
continuous tests, the exact (smaller) size for the discrete binomial test. The replicate
data come from fixed seeds, so every run gives the same counts: these tests cannot flake.

Power is checked at the default alpha = 1e-9 with the sample size computed by
``samples_to_detect`` for power 1 - 1e-9; seeds come from Hypothesis, so a failure to
reject happens with probability 1e-9 per example.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.stats as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from nncheck import stats as S
from nncheck.stats import StatisticalAssertionError

CAL_ALPHA = 0.05  # large enough that false alarms are countable
REPS = 4000  # replicate data sets per calibration measurement
CHECK_ALPHA = 1e-6  # false-alarm rate of the calibration check itself

seeds = hs.integers(min_value=0, max_value=2**32 - 1)
few = settings(max_examples=15, deadline=None)


def rejects(fn, *args, **kwargs) -> bool:
    try:
        fn(*args, **kwargs)
    except StatisticalAssertionError:
        return True
    return False


def count_rejections(fn, datasets, *args, **kwargs) -> int:
    return sum(rejects(fn, d, *args, **kwargs) for d in datasets)


def assert_rate(count: int, reps: int, rate: float, what: str) -> None:
    """The observed count of rejections is consistent with the claimed rate."""
    S.assert_proportion(count, reps, rate, alpha=CHECK_ALPHA, name=what)


# --------------------------------------------------------------------------------------
# calibration: on correct data, false alarms happen at rate alpha
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [5, 60])
def test_mean_known_std_calibrated(n):
    data = np.random.default_rng(101 + n).normal(3.0, 2.0, size=(REPS, n))
    count = count_rejections(S.assert_mean, data, 3.0, std=2.0, alpha=CAL_ALPHA)
    assert_rate(count, REPS, CAL_ALPHA, "z-test false alarms")


@pytest.mark.parametrize("n", [5, 60])
def test_mean_estimated_std_calibrated(n):
    data = np.random.default_rng(202 + n).normal(-1.0, 0.3, size=(REPS, n))
    count = count_rejections(S.assert_mean, data, -1.0, alpha=CAL_ALPHA)
    assert_rate(count, REPS, CAL_ALPHA, "t-test false alarms")


@pytest.mark.parametrize("n", [4, 50])
@pytest.mark.parametrize("mean_known", [True, False])
def test_variance_calibrated(n, mean_known):
    data = np.random.default_rng(303 + n + mean_known).normal(0.0, 0.7, size=(REPS, n))
    count = count_rejections(S.assert_variance, data, 0.49,
                             mean=0.0 if mean_known else None, alpha=CAL_ALPHA)
    assert_rate(count, REPS, CAL_ALPHA, "chi-square false alarms")


def test_variance_with_excess_kurtosis_calibrated():
    # Laplace samples (excess kurtosis 3): the plain chi-square interval is far too narrow;
    # with excess_kurtosis=3 the false-alarm rate is back near alpha.
    n = 400
    data = np.random.default_rng(404).laplace(0.0, 1.0, size=(REPS, n))  # variance 2
    plain = count_rejections(S.assert_variance, data, 2.0, mean=0.0, alpha=CAL_ALPHA)
    assert plain > 3 * CAL_ALPHA * REPS, "premise: chi-square is miscalibrated for Laplace"
    fixed = count_rejections(S.assert_variance, data, 2.0, mean=0.0, alpha=CAL_ALPHA,
                             excess_kurtosis=3.0)
    # an approximation: allow a factor 1.5 either way around alpha
    assert 0.67 * CAL_ALPHA * REPS < fixed < 1.5 * CAL_ALPHA * REPS, fixed


def test_variance_conservative_for_uniform():
    # uniform samples have lighter tails than the normal: fewer false alarms than alpha
    n = 100
    data = np.random.default_rng(405).uniform(-1.0, 1.0, size=(REPS, n))
    count = count_rejections(S.assert_variance, data, 1.0 / 3.0, mean=0.0, alpha=CAL_ALPHA)
    assert count <= CAL_ALPHA * REPS


@pytest.mark.parametrize("sizes", [(5, 9), (40, 25)])
def test_variance_ratio_calibrated(sizes):
    rng = np.random.default_rng(505 + sizes[0])
    a = rng.normal(1.0, 3.0, size=(REPS, sizes[0]))
    b = rng.normal(-2.0, 1.5, size=(REPS, sizes[1]))
    count = sum(rejects(S.assert_variance_ratio, x, y, 4.0, alpha=CAL_ALPHA)
                for x, y in zip(a, b, strict=True))
    assert_rate(count, REPS, CAL_ALPHA, "F-test false alarms")


def exact_binomial_size(trials: int, p: float, alpha: float) -> float:
    lo, hi = S._binom_acceptance(trials, p, alpha)
    return float(st.binom.cdf(lo - 1, trials, p) + st.binom.sf(hi, trials, p))


@pytest.mark.parametrize(("trials", "p"), [(30, 0.5), (500, 0.1), (2000, 0.9)])
def test_proportion_calibrated(trials, p):
    size = exact_binomial_size(trials, p, CAL_ALPHA)
    assert 0 < size <= CAL_ALPHA  # exact test: never more false alarms than alpha
    counts = np.random.default_rng(606 + trials).binomial(trials, p, size=REPS)
    rejected = sum(rejects(S.assert_proportion, int(k), trials, p, alpha=CAL_ALPHA)
                   for k in counts)
    assert_rate(rejected, REPS, size, "binomial false alarms")


@pytest.mark.parametrize(
    ("dist", "n"),
    [(st.norm(0.0, 0.2), 30), (st.uniform(-0.5, 1.0), 200), (st.truncnorm(-2.0, 2.0), 80)],
    ids=["normal", "uniform", "truncnorm"],
)
def test_distribution_calibrated(dist, n):
    data = dist.rvs(size=(REPS, n), random_state=np.random.default_rng(707 + n))
    count = count_rejections(S.assert_distribution, data, dist, alpha=CAL_ALPHA)
    assert_rate(count, REPS, CAL_ALPHA, "KS false alarms")


def test_calibration_check_has_power():
    """The calibration measurement itself would catch a test at twice or half its size."""
    for wrong in (2 * CAL_ALPHA, CAL_ALPHA / 2):
        expected_count = wrong * REPS
        assert rejects(assert_rate, round(expected_count), REPS, CAL_ALPHA, "check")


# --------------------------------------------------------------------------------------
# power: the bugs that matter are caught at the default alpha
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("factor", [2.0, 0.5, 1.1, 1 / 1.1])
@given(seed=seeds)
@few
def test_variance_detects_factor(factor, seed):
    n = S.samples_to_detect(factor - 1.0, kind="variance", mean_known=True)
    rng = np.random.default_rng(seed)
    sigma2 = 0.01
    wrong = rng.normal(0.0, math.sqrt(sigma2 * factor), size=n)
    with pytest.raises(StatisticalAssertionError, match="variance"):
        S.assert_variance(wrong, sigma2, mean=0.0)
    S.assert_variance(rng.normal(0.0, math.sqrt(sigma2), size=n), sigma2, mean=0.0)


def test_sample_sizes_for_variance_factors():
    """Sizes are what the normal approximation predicts: n ~ 2 ((z_a + z_b) / ln r)^2."""
    z = st.norm.isf(S.DEFAULT_ALPHA / 2) + st.norm.isf(1 - S.DEFAULT_POWER)
    for r in (2.0, 1.1):
        n = S.samples_to_detect(r - 1.0)
        approx = 2 * (z / math.log(r)) ** 2
        assert 0.9 * approx < n < 1.1 * approx, (r, n, approx)
    assert S.samples_to_detect(0.1) > 30 * S.samples_to_detect(1.0)


@given(seed=seeds)
@few
def test_variance_ratio_detects_factor_two(seed):
    n = S.samples_to_detect(1.0, kind="variance_ratio")
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0, math.sqrt(2.0), size=n), rng.normal(0, 1.0, size=n)
    with pytest.raises(StatisticalAssertionError):
        S.assert_variance_ratio(a, b, 1.0)
    S.assert_variance_ratio(a, b, 2.0)


@pytest.mark.parametrize("std_known", [True, False])
@pytest.mark.parametrize("shift", [0.1, -0.25])
@given(seed=seeds)
@few
def test_mean_detects_shift(std_known, shift, seed):
    sd = 0.5
    n = S.samples_to_detect(shift / sd, kind="mean", std_known=std_known)
    rng = np.random.default_rng(seed)
    kw = {"std": sd} if std_known else {}
    with pytest.raises(StatisticalAssertionError, match="mean"):
        S.assert_mean(rng.normal(1.0 + shift, sd, size=n), 1.0, **kw)
    S.assert_mean(rng.normal(1.0, sd, size=n), 1.0, **kw)


@given(seed=seeds)
@few
def test_proportion_detects_relative_shift(seed):
    p = 0.2
    n = S.samples_to_detect(0.25, kind="proportion", p=p)
    rng = np.random.default_rng(seed)
    with pytest.raises(StatisticalAssertionError):
        S.assert_proportion(int(rng.binomial(n, p * 1.25)), n, p)
    S.assert_proportion(int(rng.binomial(n, p)), n, p)


def kolmogorov_distance(f, g) -> float:
    grid = np.linspace(-6, 6, 200001)
    return float(np.max(np.abs(f.cdf(grid) - g.cdf(grid))))


@given(seed=seeds)
@few
def test_distribution_tells_uniform_from_normal_of_same_variance(seed):
    normal = st.norm(0.0, 1.0)
    uniform = st.uniform(-math.sqrt(3.0), 2 * math.sqrt(3.0))  # variance 1
    d = kolmogorov_distance(normal, uniform)
    n = S.samples_to_detect(0.99 * d, kind="distribution")
    rng = np.random.default_rng(seed)
    with pytest.raises(StatisticalAssertionError, match="Kolmogorov"):
        S.assert_distribution(uniform.rvs(size=n, random_state=rng), normal)
    S.assert_distribution(normal.rvs(size=n, random_state=rng), normal)


@pytest.mark.parametrize(
    ("kind", "effect", "kw", "n"),
    [("variance", 0.5, {"mean_known": True}, 60), ("mean", 0.3, {"std_known": False}, 40),
     ("variance_ratio", 1.0, {}, 25), ("proportion", 0.5, {"p": 0.2}, 150)],
)
def test_detection_power_matches_simulation(kind, effect, kw, n):
    """The computed power is the real one (not only a bound): simulate at moderate power."""
    power = S.detection_power(n, effect, alpha=CAL_ALPHA, kind=kind, **kw)
    assert 0.1 < power < 0.95, power
    rng = np.random.default_rng(808)
    if kind == "variance":
        data = rng.normal(0, math.sqrt(1 + effect), size=(REPS, n))
        hits = count_rejections(S.assert_variance, data, 1.0, mean=0.0, alpha=CAL_ALPHA)
    elif kind == "mean":
        data = rng.normal(effect, 1.0, size=(REPS, n))
        hits = count_rejections(S.assert_mean, data, 0.0, alpha=CAL_ALPHA)
    elif kind == "variance_ratio":
        a = rng.normal(0, math.sqrt(1 + effect), size=(REPS, n))
        b = rng.normal(0, 1.0, size=(REPS, n))
        hits = sum(rejects(S.assert_variance_ratio, x, y, alpha=CAL_ALPHA)
                   for x, y in zip(a, b, strict=True))
    else:
        p = kw["p"]
        counts = rng.binomial(n, p * (1 + effect), size=REPS)
        hits = sum(rejects(S.assert_proportion, int(k), n, p, alpha=CAL_ALPHA) for k in counts)
    assert_rate(hits, REPS, power, f"{kind} power")


def test_samples_to_detect_is_minimal_and_sufficient():
    for kind, effect, kw in [("variance", 1.0, {}), ("mean", 0.2, {}),
                             ("variance_ratio", -0.5, {}), ("distribution", 0.05, {})]:
        n = S.samples_to_detect(effect, kind=kind, **kw)
        assert S.detection_power(n, effect, kind=kind, **kw) >= S.DEFAULT_POWER
        assert S.detection_power(n - 1, effect, kind=kind, **kw) < S.DEFAULT_POWER
    # a smaller effect or a smaller alpha needs more samples
    assert S.samples_to_detect(0.5) > S.samples_to_detect(1.0)
    assert S.samples_to_detect(1.0, alpha=1e-12) > S.samples_to_detect(1.0)


# --------------------------------------------------------------------------------------
# messages, bad input, determinism
# --------------------------------------------------------------------------------------

def test_message_states_observed_expected_interval_alpha():
    x = np.linspace(-1.0, 1.0, 101)  # variance 0.34
    with pytest.raises(StatisticalAssertionError) as info:
        S.assert_variance(x, 1.0, mean=0.0, name="W variance")
    err = info.value
    msg = str(err)
    assert msg.startswith("W variance: observed variance 0.34")
    assert "expected 1" in msg and "alpha=1e-09" in msg and "n=101" in msg
    lo, hi = err.interval
    assert re.search(r"interval is \[0\.\d+, 0\.\d+\]", msg)
    assert lo < err.observed < hi < 1.0
    assert isinstance(err, AssertionError)


def test_interval_contains_expected_exactly_when_passing():
    x = np.random.default_rng(9).normal(size=500)
    with pytest.raises(StatisticalAssertionError) as info:
        S.assert_mean(x, 5.0)
    lo, hi = info.value.interval
    S.assert_mean(x, (lo + hi) / 2)
    S.assert_mean(x, lo + 1e-9 * (hi - lo))
    assert rejects(S.assert_mean, x, lo - 1e-6 * (hi - lo))


@pytest.mark.parametrize("fn", [
    lambda x: S.assert_mean(x, 0.0),
    lambda x: S.assert_variance(x, 1.0),
    lambda x: S.assert_variance_ratio(x, np.ones(3) + np.arange(3)),
    lambda x: S.assert_distribution(x, st.norm()),
])
def test_non_finite_samples_fail(fn):
    with pytest.raises(StatisticalAssertionError, match="NaN or infinite"):
        fn(np.array([0.1, np.nan, -0.3, 0.2]))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: S.assert_mean([1.0, 2.0], 0.0, alpha=0.0), "alpha"),
    (lambda: S.assert_mean([1.0], 0.0), "at least 2"),
    (lambda: S.assert_mean([1.0, 2.0], 0.0, std=-1.0), "std"),
    (lambda: S.assert_variance([1.0, 2.0], 0.0), "positive"),
    (lambda: S.assert_variance(["a", "b"], 1.0), "numeric"),
    (lambda: S.assert_proportion(5, 3, 0.5), "successes"),
    (lambda: S.assert_proportion(1.5, 3, 0.5), "integers"),
    (lambda: S.assert_proportion(1, 3, 1.5), "p must be"),
    (lambda: S.assert_distribution([0.1, 0.2], "norm"), "frozen"),
    (lambda: S.assert_distribution([1.0, 2.0], st.poisson(3)), "continuous"),
    (lambda: S.samples_to_detect(0.1, kind="median"), "kind"),
    (lambda: S.samples_to_detect(-1.0), "> -1"),
    (lambda: S.samples_to_detect(0.1, kind="proportion"), "needs the claimed rate"),
    (lambda: S.samples_to_detect(1.5, kind="distribution"), r"\(0, 1\)"),
    (lambda: S.samples_to_detect(1e-6, max_n=10**6), "more than"),
])
def test_bad_arguments_give_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_zero_and_one_rates():
    S.assert_proportion(0, 50, 0.0)
    S.assert_proportion(50, 50, 1.0)
    assert rejects(S.assert_proportion, 1, 50, 0.0)
    assert rejects(S.assert_proportion, 49, 50, 1.0)


def test_assertions_are_deterministic_and_draw_nothing():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (the legacy global state)
    x = np.random.default_rng(1).normal(size=300)
    outcomes = set()
    for _ in range(3):
        outcomes.add((rejects(S.assert_variance, x, 1.3), rejects(S.assert_mean, x, 0.2),
                      rejects(S.assert_distribution, x, st.norm(0, 1.3))))
    assert len(outcomes) == 1
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_proportion_message_gives_clopper_pearson_interval():
    with pytest.raises(StatisticalAssertionError) as info:
        S.assert_proportion(3, 40, 0.5, alpha=1e-3)
    ci = st.binomtest(3, 40, 0.5).proportion_ci(confidence_level=1 - 1e-3, method="exact")
    assert f"[{ci.low:.6g}, {ci.high:.6g}]" in str(info.value)
    assert "observed 3 of 40" in str(info.value) and "alpha=0.001" in str(info.value)


@pytest.mark.parametrize("p", [1 / 19, 9 / 19, 7 / 20, 2 / 23, 0.3, 29 / 30])
def test_detect_a_rate_of_one_despite_rounding(p):
    """p * (1 + (1 - p) / p) rounds to just above 1 for 1/19, 9/19, 7/20, 2/23: it means
    a rate of exactly 1."""
    n = S.samples_to_detect((1 - p) / p, kind="proportion", p=p)
    assert S.detection_power(n, (1 - p) / p, kind="proportion", p=p) == 1.0
    assert rejects(S.assert_proportion, n, n, p)
    assert p ** n <= S.DEFAULT_ALPHA / 2  # every trial a success is that unlikely at rate p
