"""Calibrated statistical assertions for random components.

Random components (weight initialization, dropout masks, sparse connections) cannot be
compared value by value; what the notes state about them ("Weight Initialization",
"Regularization" / dropout) are facts about distributions: a mean, a variance, a
proportion, a shape. Each assertion here is a classical two-sided hypothesis test whose
null hypothesis is the claim of the contract:

* it raises :class:`StatisticalAssertionError` (an ``AssertionError``) when the data are
  too unlikely under the claim;
* the probability that it raises on data that *do* satisfy the claim (the false-alarm
  rate, or size, of the test) is at most ``alpha`` -- exactly ``alpha`` for continuous
  tests whose distributional assumption holds, at most ``alpha`` for the exact binomial
  test;
* :func:`samples_to_detect` gives the sample size at which a chosen departure from the
  claim is caught with probability ``power``, so a property can be made both quiet on
  correct code and reliable on the bugs that matter.

Nothing in this module draws random numbers: the samples come from the caller, whose
random draws are seeded (from Hypothesis, in the conformance suite). Given the same
samples an assertion always gives the same verdict.

Assumptions, per test (stated again in each docstring):

* :func:`assert_mean` -- normal mean (known ``std``) or Student t (estimated std). Exact
  for normal samples; for other light-tailed samples it relies on the central limit
  theorem, which is accurate for the sample sizes used here but not in the extreme tail.
* :func:`assert_variance` and :func:`assert_variance_ratio` -- chi-square / F. Exact for
  normal samples. For samples with lighter tails than the normal (uniform, truncated
  normal: negative excess kurtosis) the test is conservative (fewer false alarms than
  ``alpha``); for heavier tails pass ``excess_kurtosis`` so the interval is widened
  (a scaled chi-square approximation).
* :func:`assert_proportion` -- exact binomial: false alarms at most ``alpha``.
* :func:`assert_distribution` -- Kolmogorov-Smirnov against a fully specified continuous
  distribution (no parameter estimated from the same samples): exact for continuous data.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as _st

from nncheck.compare import Allowance, allowance_on

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_POWER",
    "DrawnFrom",
    "allowing",
    "StatisticalAssertionError",
    "assert_distribution",
    "assert_mean",
    "assert_proportion",
    "assert_variance",
    "assert_variance_ratio",
    "detection_power",
    "samples_to_detect",
]

DEFAULT_ALPHA = 1e-9
DEFAULT_POWER = 1.0 - 1e-9


class StatisticalAssertionError(AssertionError):
    """A statistical assertion rejected its claim at false-alarm rate ``alpha``.

    Attributes: ``name`` (what was tested), ``observed`` (the statistic computed from the
    samples), ``expected`` (the claimed value), ``interval`` (the acceptance or confidence
    interval the decision used), ``alpha`` and ``n`` (the sample size).
    """

    def __init__(self, message: str, *, name: str, observed: Any, expected: Any,
                 interval: tuple[float, float] | None, alpha: float, n: int | None):
        super().__init__(message)
        self.name = name
        self.observed = observed
        self.expected = expected
        self.interval = interval
        self.alpha = alpha
        self.n = n


# --------------------------------------------------------------------------------------
# input checks (bad arguments are a usage error -> ValueError; bad data -> assertion)
# --------------------------------------------------------------------------------------

def _check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    return alpha


def _samples(samples, name: str, alpha: float, minimum: int) -> np.ndarray:
    """Flatten ``samples`` to float64; non-finite data fail the assertion (they would
    otherwise make every comparison False and the test pass silently)."""
    try:
        x = np.asarray(samples, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: samples must be numeric, got {type(samples).__name__}") from exc
    if x.size < minimum:
        raise ValueError(f"{name}: need at least {minimum} samples, got {x.size}")
    if not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise StatisticalAssertionError(
            f"{name}: {bad} of {x.size} samples are NaN or infinite",
            name=name, observed=None, expected=None, interval=None, alpha=alpha, n=x.size)
    return x


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _fail(name, what, observed, expected, interval, alpha, n, extra=""):
    lo, hi = interval
    msg = (f"{name}: observed {what} {_fmt(observed)}, expected {_fmt(expected)}; "
           f"the {1 - alpha:.10g} interval is [{_fmt(lo)}, {_fmt(hi)}] "
           f"(false-alarm rate alpha={alpha:g}, n={n}){extra}")
    raise StatisticalAssertionError(msg, name=name, observed=observed, expected=expected,
                                    interval=(float(lo), float(hi)), alpha=alpha, n=n)


# --------------------------------------------------------------------------------------
# mean
# --------------------------------------------------------------------------------------

def assert_mean(samples, expected: float, *, std: float | None = None,
                alpha: float = DEFAULT_ALPHA, name: str = "mean") -> None:
    """Two-sided test that the population mean of ``samples`` is ``expected``.

    With ``std`` (the known population standard deviation) this is a z test: the sample
    mean must lie in ``expected +- z(alpha/2) * std / sqrt(n)``. Without it the standard
    deviation is estimated and the test is Student's t: ``expected`` must lie in the
    ``1 - alpha`` confidence interval ``mean +- t(alpha/2, n-1) * s / sqrt(n)``.

    Exact for normal samples; otherwise it leans on the central limit theorem.
    """
    alpha = _check_alpha(alpha)
    x = _samples(samples, name, alpha, 1 if std is not None else 2)
    n = x.size
    m = float(x.mean())
    expected = float(expected)
    if std is not None:
        std = float(std)
        if not std > 0 or not math.isfinite(std):
            raise ValueError(f"{name}: std must be positive and finite, got {std!r}")
        half = _st.norm.isf(alpha / 2) * std / math.sqrt(n)
        lo, hi = expected - half, expected + half
        if not lo <= m <= hi:
            _fail(name, "sample mean", m, expected, (lo, hi), alpha, n,
                  f"; known std {_fmt(std)}, acceptance interval for the sample mean")
        return
    s = float(x.std(ddof=1))
    half = _st.t.isf(alpha / 2, n - 1) * s / math.sqrt(n)
    lo, hi = m - half, m + half
    if not lo <= expected <= hi:
        _fail(name, "sample mean", m, expected, (lo, hi), alpha, n,
              f"; estimated std {_fmt(s)}, confidence interval for the population mean")


# --------------------------------------------------------------------------------------
# variance
# --------------------------------------------------------------------------------------

def _variance_df(n: int, mean_known: bool, excess_kurtosis: float) -> float:
    """Degrees of freedom of the (scaled) chi-square that models ``df * s2 / sigma2``.

    For normal data this is n (mean known) or n - 1. For other data, match the variance
    of the sample variance, Var(s2)/sigma^4 ~= 2/df + kappa/n (kappa the excess
    kurtosis), with a chi-square of the same relative variance.
    """
    df = float(n if mean_known else n - 1)
    if excess_kurtosis == 0.0:
        return df
    rel_var = 2.0 / df + excess_kurtosis / n
    if rel_var <= 0:
        raise ValueError(f"excess_kurtosis {excess_kurtosis!r} is impossible (must be > -2)")
    return 2.0 / rel_var


def _sum_squares(x: np.ndarray, mean: float | None) -> tuple[float, float]:
    """(sum of squared deviations, sample variance) about the known or estimated mean."""
    if mean is None:
        ss = float(np.sum((x - x.mean()) ** 2))
        return ss, ss / (x.size - 1)
    ss = float(np.sum((x - float(mean)) ** 2))
    return ss, ss / x.size


def assert_variance(samples, expected: float, *, mean: float | None = None,
                    alpha: float = DEFAULT_ALPHA, name: str = "variance",
                    excess_kurtosis: float = 0.0) -> None:
    """Two-sided chi-square test that the population variance of ``samples`` is ``expected``.

    ``mean`` is the known population mean (e.g. 0 for a zero-mean initializer: one more
    degree of freedom and an error in the mean also shows up); without it the mean is
    estimated. The ``1 - alpha`` confidence interval for the variance is
    ``[SS / chi2.isf(alpha/2, df), SS / chi2.ppf(alpha/2, df)]``; ``expected`` must lie
    in it.

    Exact for normal samples. Lighter tails than the normal (uniform, truncated normal)
    make it conservative. For heavier tails give ``excess_kurtosis`` (e.g. 3 for Laplace):
    the interval then comes from a scaled chi-square with matching variance.
    """
    alpha = _check_alpha(alpha)
    expected = float(expected)
    if not expected > 0 or not math.isfinite(expected):
        raise ValueError(f"{name}: expected variance must be positive and finite, got "
                         f"{expected!r} (check a zero variance exactly instead)")
    x = _samples(samples, name, alpha, 1 if mean is not None else 2)
    n = x.size
    _, v = _sum_squares(x, mean)
    df = _variance_df(n, mean is not None, float(excess_kurtosis))
    lo = v * df / _st.chi2.isf(alpha / 2, df)
    hi = v * df / _st.chi2.ppf(alpha / 2, df)
    if not lo <= expected <= hi:
        known = f"known mean {_fmt(mean)}" if mean is not None else "estimated mean"
        _fail(name, "variance", v, expected, (lo, hi), alpha, n,
              f"; {known}, confidence interval for the population variance")


def assert_variance_ratio(a, b, expected_ratio: float = 1.0, *, alpha: float = DEFAULT_ALPHA,
                          name: str = "variance ratio", mean_a: float | None = None,
                          mean_b: float | None = None) -> None:
    """Two-sided F test that Var(a) / Var(b) equals ``expected_ratio``.

    ``mean_a`` / ``mean_b`` are known population means (each then keeps all its degrees
    of freedom); otherwise they are estimated. ``expected_ratio`` must lie in the
    ``1 - alpha`` confidence interval ``[R / F.isf(alpha/2), R / F.ppf(alpha/2)]`` with
    ``R`` the ratio of sample variances. Exact for normal samples, conservative for
    lighter-tailed ones.
    """
    alpha = _check_alpha(alpha)
    expected_ratio = float(expected_ratio)
    if not expected_ratio > 0 or not math.isfinite(expected_ratio):
        raise ValueError(f"{name}: expected_ratio must be positive and finite, "
                         f"got {expected_ratio!r}")
    xa = _samples(a, name, alpha, 1 if mean_a is not None else 2)
    xb = _samples(b, name, alpha, 1 if mean_b is not None else 2)
    _, va = _sum_squares(xa, mean_a)
    _, vb = _sum_squares(xb, mean_b)
    if vb == 0.0:
        raise StatisticalAssertionError(
            f"{name}: the second sample has zero variance; the ratio is undefined",
            name=name, observed=None, expected=expected_ratio, interval=None, alpha=alpha,
            n=xa.size + xb.size)
    da = xa.size if mean_a is not None else xa.size - 1
    db = xb.size if mean_b is not None else xb.size - 1
    r = va / vb
    lo = r / _st.f.isf(alpha / 2, da, db)
    hi = r / _st.f.ppf(alpha / 2, da, db)
    if not lo <= expected_ratio <= hi:
        _fail(name, "variance ratio", r, expected_ratio, (lo, hi), alpha,
              xa.size + xb.size,
              f"; {xa.size} and {xb.size} samples, confidence interval for the ratio")


# --------------------------------------------------------------------------------------
# proportion
# --------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1024)
def _binom_acceptance(trials: int, p: float, alpha: float) -> tuple[int, int]:
    """The counts k an exact two-sided binomial test at level alpha accepts: [lo, hi],
    rejecting k when P(X <= k) <= alpha/2 or P(X >= k) <= alpha/2."""
    lo = int(_st.binom.ppf(alpha / 2, trials, p))
    if _st.binom.cdf(lo, trials, p) <= alpha / 2:
        lo += 1
    hi = int(_st.binom.isf(alpha / 2, trials, p))
    # isf(q) is the smallest k with P(X > k) <= q, so P(X >= hi+1) <= q: hi+1 is rejected.
    while hi > 0 and _st.binom.sf(hi - 1, trials, p) <= alpha / 2:
        hi -= 1
    return lo, hi


def assert_proportion(successes: int, trials: int, p: float, *, alpha: float = DEFAULT_ALPHA,
                      name: str = "proportion",
                      under: Callable[[Any], float] | None = None) -> None:
    """Exact two-sided binomial test that ``successes`` out of ``trials`` come from rate ``p``.

    The count must lie in the acceptance region ``[lo, hi]`` of Binomial(trials, p): each
    tail outside it has probability at most ``alpha / 2``, so the false-alarm rate is at
    most ``alpha`` (the binomial is discrete, so usually a little below). The message
    also gives the Clopper-Pearson ``1 - alpha`` interval for the rate.

    ``under(dist)`` gives the rate of the same event under a frozen scipy.stats ``dist``:
    with a declared distribution in force (:func:`allowing`), a count the test rejects is
    tested again at that distribution's rate.
    """
    failure = _proportion_failure(successes, trials, p, alpha, name)
    if failure is None:
        return
    allowance = _ALLOWANCES[-1] if _ALLOWANCES else None
    if allowance is None or under is None:
        raise failure
    _allow_or_raise(allowance, failure, _proportion_failure(
        successes, trials, float(under(allowance.bound.frozen())), alpha, name))


def _proportion_failure(successes, trials, p, alpha, name) -> StatisticalAssertionError | None:
    alpha = _check_alpha(alpha)
    try:
        k, n = int(successes), int(trials)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: successes and trials must be integers") from exc
    if k != successes or n != trials:
        raise ValueError(f"{name}: successes and trials must be integers, got "
                         f"{successes!r} and {trials!r}")
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"{name}: need 0 <= successes <= trials and trials >= 1, got "
                         f"{k} and {n}")
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: p must be in [0, 1], got {p!r}")
    lo, hi = _binom_acceptance(n, p, alpha)
    if not lo <= k <= hi:
        # Clopper-Pearson interval (what binomtest(...).proportion_ci(method="exact") gives)
        ci_lo = 0.0 if k == 0 else float(_st.beta.ppf(alpha / 2, k, n - k + 1))
        ci_hi = 1.0 if k == n else float(_st.beta.isf(alpha / 2, k + 1, n - k))
        return StatisticalAssertionError(
            f"{name}: observed {k} of {n} (rate {_fmt(k / n)}), expected rate {_fmt(p)}; "
            f"the count must lie in [{lo}, {hi}] (exact binomial, false-alarm rate "
            f"alpha={alpha:g}); {1 - alpha:.10g} interval for the rate "
            f"[{_fmt(ci_lo)}, {_fmt(ci_hi)}]",
            name=name, observed=k / n, expected=p, interval=(lo / n, hi / n), alpha=alpha, n=n)
    return None


# --------------------------------------------------------------------------------------
# Kolmogorov-Smirnov critical value
# --------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1024)
def _ks_critical(alpha: float, n: int) -> float:
    """The largest D the two-sided one-sample KS test at level alpha accepts."""
    return float(_st.kstwo.isf(alpha, n))


# --------------------------------------------------------------------------------------
# whole distribution
# --------------------------------------------------------------------------------------

def assert_distribution(samples, dist, *, alpha: float = DEFAULT_ALPHA,
                        name: str = "distribution") -> None:
    """Kolmogorov-Smirnov test that ``samples`` come from the frozen scipy.stats ``dist``.

    ``dist`` is a fully specified *continuous* distribution, e.g.
    ``scipy.stats.norm(0, s)``, ``scipy.stats.uniform(-a, 2 * a)`` or
    ``scipy.stats.truncnorm(-2, 2, scale=s)``; its parameters must not be estimated from
    the same samples (that would make the test conservative). Rejects when the KS p-value
    is below ``alpha``, i.e. when the largest gap D between the empirical and the claimed
    CDF exceeds the critical value ``kstwo.isf(alpha, n)``.

    With a declared distribution in force (:func:`allowing`), samples the test rejects are
    tested again, at the same ``alpha``, against the declared one.
    """
    failure = _distribution_failure(samples, dist, alpha, name)
    if failure is None:
        return
    if not _ALLOWANCES:
        raise failure
    allowance = _ALLOWANCES[-1]
    _allow_or_raise(allowance, failure, _distribution_failure(
        samples, allowance.bound.frozen(), alpha, name))


def _distribution_failure(samples, dist, alpha, name) -> StatisticalAssertionError | None:
    alpha = _check_alpha(alpha)
    if not hasattr(dist, "cdf") or not hasattr(dist, "dist"):
        raise ValueError(f"{name}: dist must be a frozen scipy.stats distribution, "
                         f"e.g. scipy.stats.norm(0, 1); got {type(dist).__name__}")
    if isinstance(dist.dist, _st.rv_discrete):
        raise ValueError(f"{name}: the Kolmogorov-Smirnov test needs a continuous "
                         f"distribution, got {dist.dist.name}")
    x = _samples(samples, name, alpha, 1)
    n = x.size
    # D = sup |F_n - F|; p-value < alpha  <=>  D > kstwo.isf(alpha, n) (what kstest does,
    # with the critical value computed once per (alpha, n) instead of a p-value per call)
    cdf = np.asarray(dist.cdf(np.sort(x)), dtype=np.float64)
    ranks = np.arange(1, n + 1, dtype=np.float64)
    d = float(max(np.max(ranks / n - cdf), np.max(cdf - (ranks - 1) / n)))
    crit = _ks_critical(alpha, n)
    if d > crit:
        pvalue = float(_st.kstwo.sf(d, n))
        args = ", ".join(_fmt(a) for a in dist.args)
        kwds = ", ".join(f"{k}={_fmt(v)}" for k, v in dist.kwds.items())
        label = f"{dist.dist.name}({', '.join(s for s in (args, kwds) if s)})"
        return StatisticalAssertionError(
            f"{name}: the samples do not follow {label}: Kolmogorov-Smirnov D = "
            f"{_fmt(d)} exceeds the critical value {_fmt(crit)} "
            f"(p-value {pvalue:.3g} < alpha={alpha:g}, n={n})",
            name=name, observed=d, expected=label, interval=(0.0, crit),
            alpha=alpha, n=n)
    return None


# --------------------------------------------------------------------------------------
# a declared distribution: the bound of a statistical expected failure
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DrawnFrom:
    """The bound of an adapter's expected failure of a statistical invariant: the
    distribution the library draws from instead of the contract's (of the samples as the
    invariant tests them, e.g. weights divided by the promised std). While it is in force
    (:func:`allowing`), samples that :func:`assert_distribution` or
    :func:`assert_proportion` reject are tested against it at the same false-alarm rate:
    if they follow it the verdict is a deviation, if not a failure
    (``nncheck.implementation.Deviation.bound``).

    ``family`` names a continuous scipy.stats distribution and ``params`` its keyword
    arguments, e.g. ``DrawnFrom("truncnorm", {"a": -2, "b": 2, "scale": 1.137}, "...")``.
    """

    family: str
    params: dict[str, float] = field(hash=False)
    description: str = ""

    def __post_init__(self):
        if not isinstance(getattr(_st, self.family, None), _st.rv_continuous):
            raise ValueError(f"DrawnFrom needs a continuous scipy.stats family, not "
                             f"{self.family!r}")
        self.frozen()  # parameters the family does not take fail here, not in a run

    def frozen(self):
        return getattr(_st, self.family)(**self.params)

    def describe(self) -> str:
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"the samples follow {self.description} ({self.family}({params}))"

    def as_dict(self) -> dict:
        return {"family": self.family, "params": {k: float(v) for k, v in self.params.items()},
                "description": self.description}


_ALLOWANCES: list[Allowance] = []


def allowing(bound: DrawnFrom):
    """Let samples that the contract's distribution rejects pass when they follow ``bound``;
    each such rejection is kept in ``Allowance.observed``. Samples that follow neither
    fail, saying so (the statistical counterpart of :func:`nncheck.compare.allowing`)."""
    return allowance_on(_ALLOWANCES, bound)


def _allow_or_raise(allowance: Allowance, failure: StatisticalAssertionError,
                    declared_failure: StatisticalAssertionError | None) -> None:
    if declared_failure is None:
        allowance.observed.append(str(failure))
        return
    raise StatisticalAssertionError(
        f"{failure}; beyond the declared deviation's bound: {declared_failure}",
        name=failure.name, observed=failure.observed, expected=failure.expected,
        interval=failure.interval, alpha=failure.alpha, n=failure.n) from None


# --------------------------------------------------------------------------------------
# power and sample size
# --------------------------------------------------------------------------------------

_KINDS = ("variance", "mean", "proportion", "variance_ratio", "distribution")


@dataclass(frozen=True)
class _Design:
    kind: str
    alpha: float
    relative_effect: float
    mean_known: bool = False
    std_known: bool = True
    p: float | None = None
    excess_kurtosis: float = 0.0

    def minimum_n(self) -> int:
        if self.kind == "variance" and not self.mean_known:
            return 2
        if self.kind == "variance_ratio" and not self.mean_known:
            return 2
        if self.kind == "mean" and not self.std_known:
            return 2
        return 1

    def power(self, n: int) -> float:
        a, e = self.alpha, self.relative_effect
        if self.kind == "variance":
            # df * s2 / sigma0^2 ~ r * chi2(df) when the true variance is r * sigma0^2
            r = 1.0 + e
            df = _variance_df(n, self.mean_known, self.excess_kurtosis)
            up = _st.chi2.sf(_st.chi2.isf(a / 2, df) / r, df)
            down = _st.chi2.cdf(_st.chi2.ppf(a / 2, df) / r, df)
            return float(up + down)
        if self.kind == "variance_ratio":
            r = 1.0 + e
            df = n if self.mean_known else n - 1
            up = _st.f.sf(_st.f.isf(a / 2, df, df) / r, df, df)
            down = _st.f.cdf(_st.f.ppf(a / 2, df, df) / r, df, df)
            return float(up + down)
        if self.kind == "mean":
            # relative_effect = shift / std (standardized effect size)
            delta = e * math.sqrt(n)
            if self.std_known:
                z = _st.norm.isf(a / 2)
                return float(_st.norm.sf(z - delta) + _st.norm.cdf(-z - delta))
            nu = n - 1
            t = _st.t.isf(a / 2, nu)
            # noncentral t; where scipy's nct loses its way in the far tail (NaN), use the
            # normal approximation P(Z + delta > t * S), S ~ 1 + N(0, 1 / (2 nu)).
            scale = math.sqrt(1.0 + t * t / (2.0 * nu))
            up = _st.nct.sf(t, nu, delta)
            if not math.isfinite(up):
                up = _st.norm.sf((t - delta) / scale)
            down = _st.nct.cdf(-t, nu, delta)
            if not math.isfinite(down):
                down = _st.norm.cdf((-t - delta) / scale)
            return float(min(1.0, up + down))
        if self.kind == "proportion":
            p0 = float(self.p)
            p1 = _alternative_rate(p0, e)
            lo, hi = _binom_acceptance(n, p0, a)
            return float(_st.binom.cdf(lo - 1, n, p1) + _st.binom.sf(hi, n, p1))
        if self.kind == "distribution":
            # relative_effect = sup |F_true - F_claimed|. Lower bound on the power from
            # the Dvoretzky-Kiefer-Wolfowitz-Massart inequality: the empirical CDF stays
            # within eps of F_true at every point except with probability 2 exp(-2 n eps^2),
            # and the test rejects once D exceeds the critical value c.
            c = _ks_critical(a, n)
            eps = e - c
            if eps <= 0:
                return 0.0
            return float(max(0.0, 1.0 - 2.0 * math.exp(-2.0 * n * eps * eps)))
        raise AssertionError(self.kind)  # unreachable: kind validated by _design


def _alternative_rate(p: float, relative_effect: float) -> float:
    """p * (1 + effect), with rounding past 0 or 1 (e.g. p * (1 + (1 - p) / p) =
    1.0000000000000002) snapped back onto the bound."""
    p1 = p * (1.0 + relative_effect)
    if -1e-12 <= p1 < 0.0:
        return 0.0
    if 1.0 < p1 <= 1.0 + 1e-12:
        return 1.0
    return p1


def _design(relative_effect, alpha, kind, mean_known, std_known, p, excess_kurtosis) -> _Design:
    alpha = _check_alpha(alpha)
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {', '.join(_KINDS)}; got {kind!r}")
    e = float(relative_effect)
    if not math.isfinite(e) or e == 0.0:
        raise ValueError(f"relative_effect must be finite and non-zero, got {relative_effect!r}")
    if kind in ("variance", "variance_ratio") and not e > -1.0:
        raise ValueError(f"a {kind} cannot shrink by {e!r}: relative_effect must be > -1")
    if kind == "distribution" and not 0.0 < e < 1.0:
        raise ValueError("for kind='distribution' relative_effect is the Kolmogorov distance "
                         f"sup|F - G| and must be in (0, 1); got {e!r}")
    if kind == "proportion":
        if p is None or not 0.0 < float(p) < 1.0:
            raise ValueError(f"kind='proportion' needs the claimed rate p in (0, 1); got {p!r}")
        if not 0.0 <= _alternative_rate(float(p), e) <= 1.0:
            raise ValueError(f"p * (1 + relative_effect) = {float(p) * (1 + e)!r} "
                             "is not a rate")
    return _Design(kind, alpha, e, bool(mean_known), bool(std_known),
                   None if p is None else float(p), float(excess_kurtosis))


def detection_power(n: int, relative_effect: float, *, alpha: float = DEFAULT_ALPHA,
                    kind: str = "variance", mean_known: bool = False, std_known: bool = True,
                    p: float | None = None, excess_kurtosis: float = 0.0) -> float:
    """Probability that the matching assertion, run on ``n`` samples, rejects when the
    truth departs from the claim by ``relative_effect`` (see :func:`samples_to_detect`
    for what the effect means for each ``kind``)."""
    d = _design(relative_effect, alpha, kind, mean_known, std_known, p, excess_kurtosis)
    n = int(n)
    if n < d.minimum_n():
        raise ValueError(f"n must be at least {d.minimum_n()}, got {n}")
    return d.power(n)


def samples_to_detect(relative_effect: float, *, alpha: float = DEFAULT_ALPHA,
                      power: float = DEFAULT_POWER, kind: str = "variance",
                      mean_known: bool = False, std_known: bool = True,
                      p: float | None = None, excess_kurtosis: float = 0.0,
                      max_n: int = 10**9) -> int:
    """The smallest sample size at which the assertion of ``kind`` (at false-alarm rate
    ``alpha``) rejects a departure of ``relative_effect`` with probability >= ``power``.

    What ``relative_effect`` means, per ``kind``:

    * ``"variance"`` (:func:`assert_variance`): true variance = claimed * (1 + effect);
      a factor 2 is ``1.0``, half is ``-0.5``, 10 % more is ``0.1``. ``mean_known`` and
      ``excess_kurtosis`` as in the assertion.
    * ``"variance_ratio"`` (:func:`assert_variance_ratio`): true ratio = claimed * (1 +
      effect); the answer is the size of *each* of the two samples.
    * ``"mean"`` (:func:`assert_mean`): the shift of the mean in units of the standard
      deviation (Cohen's d); ``std_known=False`` for the t test.
    * ``"proportion"`` (:func:`assert_proportion`, needs ``p``): true rate = p * (1 + effect).
    * ``"distribution"`` (:func:`assert_distribution`): the Kolmogorov distance
      sup |F_true - F_claimed| between the true and the claimed CDF. The answer rests on
      the DKW-Massart inequality, so it is a guaranteed (slightly generous) size.

    Power is computed exactly from the test's distribution under the alternative (normal,
    noncentral t, chi-square, F, binomial) for normal samples. For a binomial count the
    power is not monotone in n; at the returned n it is at least ``power``.
    """
    d = _design(relative_effect, alpha, kind, mean_known, std_known, p, excess_kurtosis)
    power = float(power)
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power!r}")
    lo = d.minimum_n()
    if d.power(lo) >= power:
        return lo
    hi = lo
    while d.power(hi) < power:
        lo, hi = hi, hi * 2
        if hi > max_n:
            raise ValueError(f"detecting a {kind} effect of {d.relative_effect!r} at "
                             f"alpha={d.alpha:g} with power {power} needs more than "
                             f"{max_n} samples")
    # invariant: power(lo) < power <= power(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if d.power(mid) >= power:
            hi = mid
        else:
            lo = mid
    return hi
