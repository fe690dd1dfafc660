"""The statistical dropout properties are quiet on correct code and always catch the bugs.

For each statistical property of ``properties/test_regularization.py`` this computes,
exactly from the binomial law (no simulation), over a grid of the keep probabilities its
strategy draws:

* the false-alarm rate: the probability that the assertion rejects a correct
  implementation, which must stay below the stated ``FALSE_ALARM_RATE`` over the 400
  examples of the ``thorough`` profile;
* the miss rate for each bug the property targets: the probability that the assertion
  accepts the buggy output, which must be below 1e-9 per example.

Every output unit of these components is 0 or one fixed multiple ``v`` of its input, kept
with some probability ``q``: the pooled mean of out / x is ``v * K / n`` with
``K ~ Binomial(n, q)``, so the acceptance region of a z test is an interval of K.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from nncheck.properties import test_regularization as props
from scipy import stats as st

from nncheck import stats
from nncheck.strategies import P_GAP, P_MAX, P_MIN

THOROUGH_EXAMPLES = 400
MISS = 1e-9

LOW = np.linspace(P_MIN, 0.5 - P_GAP, 41)
HIGH = np.linspace(0.5 + P_GAP, P_MAX, 41)
BAND = np.concatenate([LOW, [0.5], HIGH])  # what distinguishable_keep_probabilities draws


def z_test_rejects(n: int, mu0: float, sigma0: float, q: float, v: float) -> float:
    """P(assert_mean(samples, mu0, std=sigma0) rejects) when each of the n samples is v
    with probability q and 0 otherwise."""
    half = st.norm.isf(props.ALPHA / 2) * sigma0 / math.sqrt(n)
    lo = math.ceil((mu0 - half) * n / v - 1e-9)
    hi = math.floor((mu0 + half) * n / v + 1e-9)
    return float(st.binom.cdf(lo - 1, n, q) + st.binom.sf(hi, n, q))


def binomial_rejects(n: int, p0: float, q: float) -> float:
    """P(assert_proportion(K, n, p0) rejects) when K ~ Binomial(n, q != p0)."""
    return stats.detection_power(n, q / p0 - 1.0, alpha=props.ALPHA, kind="proportion", p=p0)


def test_binomial_false_alarms():
    # assert_proportion is an exact test: it rejects a true rate with probability <= alpha
    assert props.ALPHA * THOROUGH_EXAMPLES <= props.FALSE_ALARM_RATE


def _worst_false_alarm(fn) -> float:
    return max(fn(p) for p in BAND)


def test_dropout_expectation_power():
    n = props.N_UNITS

    def test(p, q, v):
        return z_test_rejects(n, 1.0, math.sqrt((1 - p) / p), q, v)

    assert _worst_false_alarm(lambda p: test(p, p, 1 / p)) * THOROUGH_EXAMPLES \
        <= props.FALSE_ALARM_RATE
    for p in BAND:
        assert test(p, p, 1.0) >= 1 - MISS, f"1/p forgotten at p={p}"
        if p != 0.5:  # at p = 0.5 these two bugs are the correct behaviour
            assert test(p, p, 1 / (1 - p)) >= 1 - MISS, f"1/(1-p) at p={p}"
            assert test(p, 1 - p, 1 / p) >= 1 - MISS, f"keep/drop swapped at p={p}"


def test_dropconnect_expectation_power():
    n = props.DC_SIDE ** 2

    def test(p, q, v):
        return z_test_rejects(n, 1.0, math.sqrt((1 - p) / p), q, v)

    assert _worst_false_alarm(lambda p: test(p, p, 1 / p)) * THOROUGH_EXAMPLES \
        <= props.FALSE_ALARM_RATE
    for p in BAND:
        assert test(p, p, 1.0) >= 1 - MISS, f"DropConnect without 1/p at p={p}"


def test_vanilla_expectation_power():
    n = props.N_UNITS

    def test(p, expected, v):
        return z_test_rejects(n, expected, math.sqrt(p * (1 - p)), p, v)

    assert _worst_false_alarm(lambda p: test(p, p, 1.0)) * THOROUGH_EXAMPLES \
        <= props.FALSE_ALARM_RATE
    for p in BAND:
        assert test(p, 1.0, 1.0) >= 1 - MISS, f"test-time scaling forgotten at p={p}"
        assert test(p, p, 1 / p) >= 1 - MISS, f"train-time 1/p in vanilla dropout at p={p}"


@pytest.mark.parametrize("n", [props.N_UNITS, props.DC_SIDE ** 2], ids=["units", "weights"])
def test_keep_fraction_power(n):
    for p in BAND:
        if p != 0.5:
            assert binomial_rejects(n, p, 1 - p) >= 1 - MISS, f"keep/drop swapped at p={p}"


def test_independence_power():
    pairs = props.N_UNITS // 2  # tiled_activations gives at least N_UNITS units, rows even
    for p in BAND:
        assert binomial_rejects(pairs, p * p, p) >= 1 - MISS, f"mask shared by the batch at p={p}"


def test_seed_change_detectable():
    # two independent masks over 1000 units agree with probability (p^2 + (1-p)^2)^1000
    worst = max(p * p + (1 - p) ** 2 for p in (0.05, 0.95))
    assert worst ** 1000 < 1e-40
