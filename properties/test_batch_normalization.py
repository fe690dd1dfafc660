"""Properties of the notes' section "Batch Normalization".

Each test checks one invariant of one component against the implementation under test
(the ``impl`` fixture, see ``--impl``). Inputs x are [N x D] (features are columns) or
[N, C, H, W] for the spatial variant; gamma and beta are [D] (or [C]). The training
forward uses the batch mean and the biased (ddof=0) batch variance with eps inside the
square root; running statistics follow ``running = momentum * running + (1 - momentum) *
batch``. Backward passes are checked on the scalar loss sum(out * dout) for a random
upstream gradient dout. See docs/batchnorm.md.
"""

from __future__ import annotations

import math

import autograd
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from nncheck.compare import assert_close
from nncheck.gradcheck import check_gradient
from nncheck.implementation import Feed
from nncheck.reference import batchnorm as ref
from nncheck.strategies import (
    bn_affine_params,
    bn_eps,
    bn_raw_batches,
    bn_seeded_normal,
    bn_spread_batches,
    sizes,
)
from nncheck.suite import PROFILES, invariant

# Agreement between two float64 computations of the same closed form: they differ only
# in rounding, so a relative difference beyond ~1e-7 is a real difference.
RTOL = 1e-7

DEFAULT_EPS = 1e-5
DEFAULT_MOMENTUM = 0.9


def _scale(*arrays) -> float:
    """The largest magnitude among ``arrays`` (at least 1): what tolerances scale with."""
    return max(1.0, *(float(np.max(np.abs(a), initial=0.0)) for a in arrays))


def _atol(*arrays) -> float:
    """An absolute tolerance scaled to the magnitudes involved (rounding of float64 sums)."""
    return 1e-9 * _scale(*arrays)


def _normalized_atol(x, eps, gamma=None) -> float:
    """Absolute rounding error to allow in gamma * xhat for a batch x [N x D].

    Centering loses about one ulp of |x|, magnified by 1 / sqrt(var + eps); a one-pass
    variance (E[x^2] - E[x]^2) loses about one ulp of x^2, magnified by 1 / (var + eps).
    Both are negligible unless a feature is nearly constant (then they dominate).
    """
    n = len(x)
    g = 1.0 if gamma is None else 1.0 + float(np.abs(gamma).max())
    size = 1.0 + np.abs(x).max(axis=0)
    spread = x.var(axis=0) + eps
    per_feature = (1e-12 * math.sqrt(n) + 1e-14 * n * size / np.sqrt(spread)
                   + 1e-14 * math.sqrt(n) * size**2 / spread)
    return g * float(per_feature.max())


def _batch_stats(x):
    """Per-feature batch mean and biased variance, computed here (not by the implementation)."""
    return x.mean(axis=0), x.var(axis=0)


def _train(impl, x, gamma, beta, eps=None):
    """The implementation's training output (cache dropped); eps=None uses its default."""
    if eps is None:
        return impl.call("batchnorm_train", x, gamma, beta)[0]
    return impl.call("batchnorm_train", x, gamma, beta, eps=eps)[0]


@st.composite
def _raw_with_params(draw, **kwargs):
    x = draw(bn_raw_batches(**kwargs))
    gamma, beta = draw(bn_affine_params(x.shape[1]), label="gamma, beta")
    return x, gamma, beta


@st.composite
def _spread_with_params(draw, **kwargs):
    x = draw(bn_spread_batches(**kwargs))
    gamma, beta = draw(bn_affine_params(x.shape[1]), label="gamma, beta")
    return x, gamma, beta


# ------------------------------------------------------------------------ training forward

@invariant("batchnorm_train")
@given(batch=_raw_with_params(), eps=bn_eps())
def test_batchnorm_train_matches_reference(impl, batch, eps):
    """The training output agrees with the reference (batch mean, ddof=0 variance, eps)."""
    x, gamma, beta = batch
    out = _train(impl, x, gamma, beta, eps)
    want = ref.batchnorm_train(x, gamma, beta, eps)[0]
    assert_close(out, want, rtol=RTOL, atol=_atol(want) + _normalized_atol(x, eps, gamma),
                 name="batchnorm_train out")


@invariant("batchnorm_train")
@given(x=bn_raw_batches(), eps=st.one_of(st.none(), bn_eps()))
def test_batchnorm_train_standardizes_each_feature(impl, x, eps):
    """With gamma = 1, beta = 0 each feature has mean 0 and variance var / (var + eps).

    eps is sometimes left out, which checks the default 1e-5.
    """
    d = x.shape[1]
    out = _train(impl, x, np.ones(d), np.zeros(d), eps)
    e = DEFAULT_EPS if eps is None else eps
    _, var = _batch_stats(x)
    tol = _normalized_atol(x, e)
    assert_close(out.mean(axis=0), np.zeros(d), rtol=0, atol=tol,
                 name="per-feature mean of the output")
    assert_close(out.var(axis=0), var / (var + e), rtol=1e-7, atol=tol,
                 name="per-feature variance of the output (expected var / (var + eps))")


@invariant("batchnorm_train")
@given(batch=_raw_with_params(), eps=bn_eps())
def test_batchnorm_train_mean_is_beta_std_is_gamma(impl, batch, eps):
    """Each output feature has mean beta and std |gamma| * sqrt(var / (var + eps)) (~ |gamma|)."""
    x, gamma, beta = batch
    out = _train(impl, x, gamma, beta, eps)
    _, var = _batch_stats(x)
    tol = _normalized_atol(x, eps, gamma)
    assert_close(out.mean(axis=0), beta, rtol=0, atol=tol, name="per-feature mean (beta)")
    assert_close(out.std(axis=0), np.abs(gamma) * np.sqrt(var / (var + eps)), rtol=1e-7,
                 atol=tol, name="per-feature std (|gamma| sqrt(var / (var + eps)))")


@invariant("batchnorm_train")
@given(batch=_spread_with_params(), eps=bn_eps(), data=st.data())
def test_batchnorm_train_invariant_to_feature_shift(impl, batch, eps, data):
    """Adding a constant to an input feature (its own constant per feature) changes nothing."""
    x, gamma, beta = batch
    shift = data.draw(hnp.arrays(np.float64, (x.shape[1],), elements=st.floats(-100, 100)),
                      label="shift per feature")
    out = _train(impl, x, gamma, beta, eps)
    shifted = _train(impl, x + shift, gamma, beta, eps)
    assert_close(shifted, out, rtol=1e-7, atol=1e-9 * (1 + np.abs(gamma).max()),
                 name="output after shifting the input features")


def _positive_factors(size):
    """Positive factors from 1e-3 to 1e3, log-uniform."""
    return hnp.arrays(np.float64, (size,), elements=st.floats(-3, 3)).map(lambda e: 10.0**e)


@invariant("batchnorm_train")
@given(batch=_spread_with_params(), data=st.data())
def test_batchnorm_train_invariant_to_positive_feature_scale(impl, batch, data):
    """With eps = 0, multiplying an input feature by a positive constant changes nothing.

    (With eps > 0 the invariance holds up to a relative eps / var.)
    """
    x, gamma, beta = batch
    factors = data.draw(_positive_factors(x.shape[1]), label="factor per feature")
    out = _train(impl, x, gamma, beta, 0.0)
    scaled = _train(impl, x * factors, gamma, beta, 0.0)
    assert_close(scaled, out, rtol=1e-7, atol=1e-9 * (1 + np.abs(gamma).max()),
                 name="output after scaling the input features")


@invariant("batchnorm_train")
@given(x=bn_spread_batches(), data=st.data())
def test_batchnorm_train_undoes_weight_scale_of_previous_layer(impl, x, data):
    """A linear layer before BN: scaling its weights by any a > 0 (or changing its bias)
    leaves the output unchanged (eps = 0): a badly scaled initialization is undone."""
    d_out = data.draw(st.integers(1, 4), label="fan_out")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    weights = bn_seeded_normal(seed, (x.shape[1], d_out))
    bias, bias2 = bn_seeded_normal(seed + 1, (2, d_out))
    a = 10.0 ** data.draw(st.floats(-3, 3), label="log10 weight scale")
    gamma, beta = data.draw(bn_affine_params(d_out), label="gamma, beta")
    out = _train(impl, x @ weights + bias, gamma, beta, 0.0)
    rescaled = _train(impl, x @ (a * weights) + bias2, gamma, beta, 0.0)
    assert_close(rescaled, out, rtol=1e-7, atol=1e-8 * (1 + np.abs(gamma).max()),
                 name=f"output with the previous layer's weights scaled by {a:g}")


@st.composite
def _degenerate_batches(draw):
    """x (N >= 2) with some features constant over the batch."""
    x, gamma, beta = draw(_raw_with_params())
    constant = draw(hnp.arrays(np.bool_, (x.shape[1],)), label="constant features")
    if not constant.any():
        constant[0] = True
    x = x.copy()
    x[:, constant] = x[0, constant]
    return x, gamma, beta, constant


def _single_rows(**kwargs):
    """(x, gamma, beta) with x of one row, [1 x D]: every feature is constant."""
    return _raw_with_params(min_n=1, max_n=1, **kwargs)


@invariant("batchnorm_train")
@given(batch=_degenerate_batches(), eps=bn_eps())
def test_batchnorm_train_degenerate_batch_is_finite(impl, batch, eps):
    """A feature constant over the batch: eps keeps the output finite, and it outputs beta."""
    x, gamma, beta, constant = batch
    out = _train(impl, x, gamma, beta, eps)  # impl.call rejects NaN and inf
    want = np.broadcast_to(beta[constant], (len(x), int(constant.sum())))
    assert_close(out[:, constant], want, rtol=0, atol=_normalized_atol(x, eps, gamma),
                 name="output of the constant features")


@invariant("batchnorm_train")
@given(batch=_single_rows(), eps=bn_eps())
def test_batchnorm_train_single_row_outputs_beta(impl, batch, eps):
    """A batch of one row (N = 1) in training mode: each feature is its own mean, so the
    output is beta, finite thanks to eps."""
    x, gamma, beta = batch
    out = _train(impl, x, gamma, beta, eps)  # impl.call rejects NaN and inf
    assert_close(out, beta[None, :], rtol=0, atol=_normalized_atol(x, eps, gamma),
                 name="training output of a single row")


# ------------------------------------------------------------------------------ backward

def _backward_matches_numeric(impl, name, batch, eps, seed):
    x, gamma, beta = batch
    dout = bn_seeded_normal(seed, x.shape)
    _, cache = impl.call("batchnorm_train", x, gamma, beta, eps=eps)
    dx, dgamma, dbeta = impl.call(name, dout, cache)
    _check_param_shapes(name, dgamma, dbeta, gamma)

    for position, (label, analytic, at) in enumerate(
            (("dx", dx, x), ("dgamma", dgamma, gamma), ("dbeta", dbeta, beta))):
        f = impl.along("batchnorm_train", (x, gamma, beta), position, kwargs={"eps": eps},
                       output=_dot_with(dout))
        check_gradient(f, at, analytic, name=f"{name} {label}", rtol=1e-5,
                       atol=1e-6 * max(1.0, float(np.abs(analytic).max())))


def _dot_with(dout):
    """The scalar <dout, out> of a forward's first output: its gradient is the backward's."""
    return lambda result: float(np.sum(result[0] * dout))


def _check_param_shapes(name, dgamma, dbeta, gamma):
    for label, grad in (("dgamma", dgamma), ("dbeta", dbeta)):
        assert grad.shape == gamma.shape, (
            f"{name}: {label} has shape {grad.shape}, not gamma's {gamma.shape}")


def _backward_matches_autograd(impl, name, batch, eps, seed):
    x, gamma, beta = batch
    dout = bn_seeded_normal(seed, x.shape)
    _, cache = impl.call("batchnorm_train", x, gamma, beta, eps=eps)
    got = impl.call(name, dout, cache)
    _check_param_shapes(name, got[1], got[2], gamma)

    def loss(x_, g_, b_):
        return np.sum(ref.batchnorm_train_forward(x_, g_, b_, eps) * dout)

    for i, label in enumerate(("dx", "dgamma", "dbeta")):
        want = autograd.grad(loss, i)(x, gamma, beta)
        assert_close(got[i], want, rtol=RTOL, atol=_atol(want),
                     name=f"{name} {label} vs autograd of the reference forward")


def _dx(impl, name, x, gamma, beta, eps, seed):
    dout = bn_seeded_normal(seed, x.shape)
    _, cache = impl.call("batchnorm_train", x, gamma, beta, eps=eps)
    return impl.call(name, dout, cache)[0]


def _dx_identity_atol(x, eps, gamma, dx, seed, base: float) -> float:
    """Absolute tolerance for an identity over the batch that dx satisfies exactly (sum of dx
    is 0, dx is orthogonal to xhat): ``base`` * N * |dx| for the sums themselves, plus the
    centering error of x (about an ulp of |x|), which the backward pass divides by
    var + eps (once in xhat, once in gamma / sqrt(var + eps)) and scales by gamma and dout.
    The second term is negligible unless a feature is nearly constant compared to its size
    (e.g. x = 8.109, 8.141 with eps = 1e-5 leaves sum(dx) = 3e-12 in exact arithmetic
    rounded to float64)."""
    n = len(x)
    dout = bn_seeded_normal(seed, x.shape)
    size = 1.0 + np.abs(x).max(axis=0)
    centering = 1e-14 * n * size / (x.var(axis=0) + eps)
    return (base * n * _scale(dx)
            + float(centering.max()) * (1.0 + float(np.abs(gamma).max())) * _scale(dout))


def _dx_sums_to_zero(impl, name, batch, eps, seed):
    x, gamma, beta = batch
    dx = _dx(impl, name, x, gamma, beta, eps, seed)
    assert_close(dx.sum(axis=0), np.zeros(x.shape[1]), rtol=0,
                 atol=_dx_identity_atol(x, eps, gamma, dx, seed, base=1e-12),
                 name=f"{name}: per-feature sum of dx over the batch")


def _dx_orthogonal(impl, name, batch, seed):
    x, gamma, beta = batch
    dx = _dx(impl, name, x, gamma, beta, 0.0, seed)
    mu, var = _batch_stats(x)
    xhat = (x - mu) / np.sqrt(var)
    assert_close((dx * xhat).sum(axis=0), np.zeros(x.shape[1]), rtol=0,
                 atol=_dx_identity_atol(x, 0.0, gamma, dx, seed, base=1e-11),
                 name=f"{name}: per-feature inner product of dx with the normalized input")


_SEED = st.integers(0, 2**32 - 1)


@invariant("batchnorm_backward", "batchnorm_train")
@given(batch=_spread_with_params(), eps=bn_eps(), seed=_SEED)
def test_batchnorm_backward_matches_numeric(impl, batch, eps, seed):
    """dx, dgamma, dbeta match central differences of the implementation's own forward."""
    _backward_matches_numeric(impl, "batchnorm_backward", batch, eps, seed)


@invariant("batchnorm_backward", "batchnorm_train")
@given(batch=_spread_with_params(), eps=bn_eps(), seed=_SEED)
def test_batchnorm_backward_matches_autograd(impl, batch, eps, seed):
    """dx, dgamma, dbeta match autograd applied to the reference forward."""
    _backward_matches_autograd(impl, "batchnorm_backward", batch, eps, seed)


@invariant("batchnorm_backward", "batchnorm_train")
@given(batch=_spread_with_params(), eps=bn_eps(), seed=_SEED)
def test_batchnorm_backward_dx_sums_to_zero(impl, batch, eps, seed):
    """dx sums to 0 over the batch for every feature (the output ignores a shift: mean path)."""
    _dx_sums_to_zero(impl, "batchnorm_backward", batch, eps, seed)


@invariant("batchnorm_backward", "batchnorm_train")
@given(batch=_spread_with_params(), seed=_SEED)
def test_batchnorm_backward_dx_orthogonal_to_normalized_input(impl, batch, seed):
    """With eps = 0, dx is orthogonal to the normalized input per feature (variance path)."""
    _dx_orthogonal(impl, "batchnorm_backward", batch, seed)


def _backward_matches_reference(impl, x, gamma, beta, eps, seed):
    dout = bn_seeded_normal(seed, x.shape)
    _, cache = impl.call("batchnorm_train", x, gamma, beta, eps=eps)
    got = impl.call("batchnorm_backward", dout, cache)  # impl.call rejects NaN and inf
    want = ref.batchnorm_backward_alt(dout, ref.batchnorm_train(x, gamma, beta, eps)[1])
    for label, g, w in zip(("dx", "dgamma", "dbeta"), got, want, strict=True):
        assert_close(g, w, rtol=1e-6, atol=_atol(w) * 10, name=f"batchnorm_backward {label}")


@invariant("batchnorm_backward", "batchnorm_train")
@given(batch=_degenerate_batches(), eps=bn_eps(), seed=_SEED)
def test_batchnorm_backward_degenerate_batch_is_finite(impl, batch, eps, seed):
    """A feature constant over the batch: the gradients are finite and match the reference."""
    x, gamma, beta, _ = batch
    _backward_matches_reference(impl, x, gamma, beta, eps, seed)


@invariant("batchnorm_backward", "batchnorm_train")
@given(batch=_single_rows(), eps=bn_eps(), seed=_SEED)
def test_batchnorm_backward_single_row_matches_reference(impl, batch, eps, seed):
    """A batch of one row: the gradients are finite and match the reference (dx and
    dgamma are 0, dbeta is dout)."""
    _backward_matches_reference(impl, *batch, eps, seed)


@invariant("batchnorm_backward_alt", "batchnorm_train")
@given(batch=_spread_with_params(), eps=bn_eps(), seed=_SEED)
def test_batchnorm_backward_alt_matches_numeric(impl, batch, eps, seed):
    """Closed form: dx, dgamma, dbeta match central differences of the forward."""
    _backward_matches_numeric(impl, "batchnorm_backward_alt", batch, eps, seed)


@invariant("batchnorm_backward_alt", "batchnorm_train")
@given(batch=_spread_with_params(), eps=bn_eps(), seed=_SEED)
def test_batchnorm_backward_alt_matches_autograd(impl, batch, eps, seed):
    """Closed form: dx, dgamma, dbeta match autograd applied to the reference forward."""
    _backward_matches_autograd(impl, "batchnorm_backward_alt", batch, eps, seed)


@invariant("batchnorm_backward_alt", "batchnorm_train")
@given(batch=_spread_with_params(), eps=bn_eps(), seed=_SEED)
def test_batchnorm_backward_alt_dx_sums_to_zero(impl, batch, eps, seed):
    """Closed form: dx sums to 0 over the batch for every feature."""
    _dx_sums_to_zero(impl, "batchnorm_backward_alt", batch, eps, seed)


@invariant("batchnorm_backward_alt", "batchnorm_train")
@given(batch=_spread_with_params(), seed=_SEED)
def test_batchnorm_backward_alt_dx_orthogonal_to_normalized_input(impl, batch, seed):
    """Closed form, eps = 0: dx is orthogonal to the normalized input per feature."""
    _dx_orthogonal(impl, "batchnorm_backward_alt", batch, seed)


@invariant("batchnorm_backward_alt", "batchnorm_backward", "batchnorm_train")
@given(batch=_raw_with_params(), eps=bn_eps(), seed=_SEED)
def test_batchnorm_backward_alt_agrees_with_step_by_step(impl, batch, eps, seed):
    """The closed form and the step-by-step backward give the same (dx, dgamma, dbeta)."""
    x, gamma, beta = batch
    dout = bn_seeded_normal(seed, x.shape)
    _, cache = impl.call("batchnorm_train", x, gamma, beta, eps=eps)
    alt = impl.call("batchnorm_backward_alt", dout, cache)
    steps = impl.call("batchnorm_backward", dout, cache)
    for label, a, s in zip(("dx", "dgamma", "dbeta"), alt, steps, strict=True):
        assert_close(a, s, rtol=1e-6, atol=_atol(s) * 10, name=f"alt vs step-by-step {label}")


# --------------------------------------------------------------------- running statistics

def _running_update(impl, rm, rv, x, momentum):
    if momentum is None:
        return impl.call("batchnorm_running_update", rm, rv, x)
    return impl.call("batchnorm_running_update", rm, rv, x, momentum=momentum)


# An update's (running_mean, running_var) are the next update's first two arguments.
_RUNNING_FED_BACK = (Feed(0, 0), Feed(1, 1))


@st.composite
def _running_state(draw, d):
    rm = draw(hnp.arrays(np.float64, (d,), elements=st.floats(-10, 10)), label="running_mean")
    rv = draw(hnp.arrays(np.float64, (d,), elements=st.floats(0, 100)), label="running_var")
    return rm, rv


def _running_update_matches_reference(impl, x, momentum, data):
    rm, rv = data.draw(_running_state(x.shape[1]))
    new_mean, new_var = _running_update(impl, rm, rv, x, momentum)
    want_mean, want_var = ref.batchnorm_running_update(rm, rv, x, momentum)
    assert_close(new_mean, want_mean, rtol=1e-9,
                 atol=1e-12 * (1 + np.abs(x).max() + np.abs(rm).max()),
                 name=f"running_mean after one update (momentum {momentum})")
    assert_close(new_var, want_var, rtol=1e-9, atol=1e-12 * (1 + np.abs(x).max() ** 2 + rv.max()),
                 name=f"running_var after one update (momentum {momentum})")


@invariant("batchnorm_running_update")
@given(x=bn_raw_batches(), momentum=st.floats(0, 1), data=st.data())
def test_batchnorm_running_update_matches_reference(impl, x, momentum, data):
    """One update is momentum * running + (1 - momentum) * batch (ddof=0 batch variance)."""
    _running_update_matches_reference(impl, x, momentum, data)


@invariant("batchnorm_running_update")
@given(x=bn_raw_batches(min_n=1, max_n=1), momentum=st.floats(0, 1), data=st.data())
def test_batchnorm_running_update_single_row(impl, x, momentum, data):
    """One update from a batch of one row: its variance is 0, so running_var shrinks by
    momentum and running_mean moves toward the row."""
    _running_update_matches_reference(impl, x, momentum, data)


@invariant("batchnorm_running_update")
@given(x=bn_spread_batches(), momentum=st.one_of(st.none(), st.floats(0, 0.999)),
       steps=st.integers(1, 30), data=st.data())
def test_batchnorm_running_stats_approach_a_repeated_batch_geometrically(
        impl, x, momentum, steps, data):
    """Fed the same batch k times, running - batch statistic = momentum^k (initial - batch).

    momentum is sometimes left out, which checks the default 0.9.
    """
    rm0, rv0 = data.draw(_running_state(x.shape[1]))
    m = DEFAULT_MOMENTUM if momentum is None else momentum
    rm, rv = impl.iterate("batchnorm_running_update", (rm0, rv0, x), steps, _RUNNING_FED_BACK,
                          kwargs=None if momentum is None else {"momentum": momentum})[-1]
    mu, var = _batch_stats(x)
    decay = m**steps
    assert_close(rm, mu + decay * (rm0 - mu), rtol=1e-8, atol=1e-10 * (1 + np.abs(x).max()),
                 name=f"running_mean after {steps} updates with momentum {m}")
    assert_close(rv, var + decay * (rv0 - var), rtol=1e-8, atol=1e-10 * (1 + var.max() + rv0.max()),
                 name=f"running_var after {steps} updates with momentum {m}")


# Statistical convergence over many independent batches (see the docstring below).
_CONV_BATCHES, _CONV_ROWS, _CONV_MAX_D = 50, 256, 3
_CONV_ALPHA = 1e-11  # false-alarm probability per assertion (two-sided)
# Per run: at most (examples of the 'thorough' profile) x D x 2 assertions.
_CONV_FALSE_ALARM = _CONV_ALPHA * max(PROFILES.values()) * _CONV_MAX_D * 2


@invariant("batchnorm_running_update", false_alarm_rate=_CONV_FALSE_ALARM)
@given(seed=_SEED, data=st.data())
def test_batchnorm_running_stats_converge_to_data_statistics(impl, seed, data):
    """Over 50 batches of 256 rows of N(mu, sigma^2) data, running_mean and running_var
    reach mu and (n-1)/n sigma^2 (the mean of the biased batch variance) within calibrated
    bounds.

    Starting from (0, 1) with momentum 0.9, the running mean is exactly normal with known
    mean and variance (z-test); the running variance is a positive combination of
    chi-square variables, bounded with the Laurent-Massart inequality. Each bound has a
    false-alarm probability of at most 1e-11. sigma is kept away from 1 (in [0.25, 0.5] or
    [2, 4]) so an implementation that tracks the std instead of the variance always fails.
    """
    d = data.draw(st.integers(1, _CONV_MAX_D), label="D")
    mu = data.draw(hnp.arrays(np.float64, (d,), elements=st.floats(-5, 5)), label="mu")
    sigma = data.draw(hnp.arrays(np.float64, (d,), elements=st.one_of(
        st.floats(0.25, 0.5), st.floats(2, 4))), label="sigma")
    m, k, n = DEFAULT_MOMENTUM, _CONV_BATCHES, _CONV_ROWS
    batches = mu + sigma * np.random.default_rng(seed).standard_normal((k, n, d))
    rm, rv = impl.iterate("batchnorm_running_update", (np.zeros(d), np.ones(d), batches[0]), k,
                          _RUNNING_FED_BACK, each={2: batches}, kwargs={"momentum": m})[-1]
    weights = (1 - m) * m ** np.arange(k)[::-1]  # weight of each batch in the final value
    decay = m**k

    # running_mean ~ N(mu (1 - m^k), sigma^2 / n * sum w^2)
    sd_mean = sigma / math.sqrt(n) * math.sqrt(np.sum(weights**2))
    z = stats.norm.isf(_CONV_ALPHA / 2)
    err = np.abs(rm - mu * (1 - decay))
    assert np.all(err <= z * sd_mean), (
        f"running_mean {rm} is {err / sd_mean} standard deviations from its expectation "
        f"{mu * (1 - decay)} (bound {z:.2f}; data mean {mu})")

    # running_var - m^k = sum_b w_b sigma^2 / n chi2_{n-1}. Laurent-Massart, with a_i =
    # w_b sigma^2 / n repeated n-1 times and Z = sum_i a_i (chi2_1 - 1):
    # P(Z >= 2|a|_2 sqrt(t) + 2|a|_inf t) <= e^-t and P(Z <= -2|a|_2 sqrt(t)) <= e^-t.
    t = math.log(2 / _CONV_ALPHA)
    a2 = sigma**2 / n * math.sqrt((n - 1) * np.sum(weights**2))
    ainf = sigma**2 / n * weights.max()
    expected = decay + sigma**2 * (n - 1) / n * (1 - decay)
    upper = expected + 2 * a2 * math.sqrt(t) + 2 * ainf * t
    lower = expected - 2 * a2 * math.sqrt(t)
    assert np.all((lower <= rv) & (rv <= upper)), (
        f"running_var {rv} outside its calibrated interval [{lower}, {upper}] "
        f"(data variance {sigma**2}, expected {expected})")


# ----------------------------------------------------------------------------- inference

@st.composite
def _inference_inputs(draw, min_n=1, max_n=8):
    x, gamma, beta = draw(_raw_with_params(min_n=min_n, max_n=max_n))
    rm, rv = draw(_running_state(x.shape[1]))
    return x, gamma, beta, rm, rv


def _inference(impl, x, gamma, beta, rm, rv, eps):
    """The implementation's inference output; eps=None uses its default."""
    if eps is None:
        return impl.call("batchnorm_inference", x, gamma, beta, rm, rv)
    return impl.call("batchnorm_inference", x, gamma, beta, rm, rv, eps=eps)


@invariant("batchnorm_inference")
@given(inputs=_inference_inputs(), eps=st.one_of(st.none(), bn_eps()))
def test_batchnorm_inference_matches_reference(impl, inputs, eps):
    """gamma * (x - running_mean) / sqrt(running_var + eps) + beta, whatever the batch.

    eps is sometimes left out, which checks the default 1e-5.
    """
    out = _inference(impl, *inputs, eps)
    want = ref.batchnorm_inference(*inputs, DEFAULT_EPS if eps is None else eps)
    assert_close(out, want, rtol=RTOL, atol=_atol(want), name="batchnorm_inference out")


@invariant("batchnorm_inference")
@given(inputs=_inference_inputs(), eps=bn_eps())
def test_batchnorm_inference_is_per_feature_affine(impl, inputs, eps):
    """Inference is a fixed map a * x + b per feature: each row's output ignores the others."""
    x, gamma, beta, rm, rv = inputs
    d = x.shape[1]
    b = _inference(impl, np.zeros((1, d)), gamma, beta, rm, rv, eps)[0]
    a = _inference(impl, np.ones((1, d)), gamma, beta, rm, rv, eps)[0] - b
    out = _inference(impl, x, gamma, beta, rm, rv, eps)
    assert_close(out, x * a + b, rtol=1e-9, atol=_atol(out, b, a * x),
                 name="inference output vs the affine map read off rows of 0 and 1")
    given = {} if eps is None else {"eps": eps}
    rows = impl.call_many("batchnorm_inference",
                          [((x[i:i + 1], gamma, beta, rm, rv), given) for i in range(len(x))])
    for i, alone in enumerate(rows):
        assert_close(alone, out[i:i + 1], rtol=1e-12, atol=1e-12 * _scale(out),
                     name=f"row {i} alone vs within the batch")


@invariant("batchnorm_inference")
@given(inputs=_inference_inputs(min_n=1, max_n=1), eps=bn_eps())
def test_batchnorm_inference_on_one_row(impl, inputs, eps):
    """A batch of one row works in inference mode (and matches the reference)."""
    out = _inference(impl, *inputs, eps)
    want = ref.batchnorm_inference(*inputs, eps)
    assert_close(out, want, rtol=RTOL, atol=_atol(want), name="inference of one row")


@invariant("batchnorm_inference", "batchnorm_train")
@given(batch=_raw_with_params(), eps=bn_eps())
def test_batchnorm_inference_with_batch_statistics_equals_train(impl, batch, eps):
    """Given the batch's own mean and biased variance as running statistics, inference
    reproduces the training output."""
    x, gamma, beta = batch
    mu, var = _batch_stats(x)
    out = _inference(impl, x, gamma, beta, mu, var, eps)
    train = _train(impl, x, gamma, beta, eps)
    assert_close(out, train, rtol=1e-6, atol=_atol(train) + _normalized_atol(x, eps, gamma),
                 name="inference with the batch statistics vs training output")


# ------------------------------------------------------------------------------- spatial

@st.composite
def _spatial_inputs(draw):
    shape = (draw(sizes(3, 64, label="N")), draw(sizes(3, 16, label="C")),
             draw(sizes(3, 8, label="H")), draw(sizes(3, 8, label="W")))
    if shape[0] * shape[2] * shape[3] == 1:
        shape = (2, *shape[1:])  # at least two values per channel
    x = draw(bn_spread_batches(shape=shape))
    gamma, beta = draw(bn_affine_params(shape[1]), label="gamma, beta")
    return x, gamma, beta


def _to_columns(x):
    n, c, h, w = x.shape
    return x.transpose(0, 2, 3, 1).reshape(n * h * w, c)


@invariant("spatial_batchnorm_train")
@given(inputs=_spatial_inputs(), eps=bn_eps())
def test_spatial_batchnorm_train_matches_reference(impl, inputs, eps):
    """The spatial training output agrees with the reference (statistics per channel)."""
    out = impl.call("spatial_batchnorm_train", *inputs, eps=eps)[0]
    want = ref.spatial_batchnorm_train(*inputs, eps)[0]
    assert_close(out, want, rtol=RTOL, atol=_atol(want), name="spatial_batchnorm_train out")


@invariant("spatial_batchnorm_train")
@given(inputs=_spatial_inputs(), eps=bn_eps())
def test_spatial_batchnorm_standardizes_each_channel(impl, inputs, eps):
    """With gamma = 1, beta = 0 each channel has mean 0 and variance var / (var + eps) over
    N, H and W."""
    x = inputs[0]
    c = x.shape[1]
    out = impl.call("spatial_batchnorm_train", x, np.ones(c), np.zeros(c), eps=eps)[0]
    var = x.var(axis=(0, 2, 3))
    assert_close(out.mean(axis=(0, 2, 3)), np.zeros(c), rtol=0, atol=1e-11,
                 name="per-channel mean of the output")
    assert_close(out.var(axis=(0, 2, 3)), var / (var + eps), rtol=1e-7, atol=1e-12,
                 name="per-channel variance of the output (expected var / (var + eps))")


@invariant("spatial_batchnorm_train", "batchnorm_train")
@given(inputs=_spatial_inputs(), eps=bn_eps())
def test_spatial_batchnorm_equals_batchnorm_on_channel_columns(impl, inputs, eps):
    """Spatial BN is plain BN on the [N*H*W x C] matrix whose columns are the channels."""
    x, gamma, beta = inputs
    out = impl.call("spatial_batchnorm_train", x, gamma, beta, eps=eps)[0]
    cols = _train(impl, _to_columns(x), gamma, beta, eps)
    assert_close(_to_columns(out), cols, rtol=1e-7, atol=_atol(cols),
                 name="spatial output (as channel columns) vs batchnorm_train of the columns")


@invariant("spatial_batchnorm_backward", "spatial_batchnorm_train")
@given(inputs=_spatial_inputs(), eps=bn_eps(), seed=_SEED)
def test_spatial_batchnorm_backward_matches_numeric(impl, inputs, eps, seed):
    """dx, dgamma, dbeta match central differences of the implementation's spatial forward."""
    x, gamma, beta = inputs
    dout = bn_seeded_normal(seed, x.shape)
    _, cache = impl.call("spatial_batchnorm_train", x, gamma, beta, eps=eps)
    dx, dgamma, dbeta = impl.call("spatial_batchnorm_backward", dout, cache)
    _check_param_shapes("spatial_batchnorm_backward", dgamma, dbeta, gamma)

    for position, (label, analytic, at) in enumerate(
            (("dx", dx, x), ("dgamma", dgamma, gamma), ("dbeta", dbeta, beta))):
        f = impl.along("spatial_batchnorm_train", (x, gamma, beta), position,
                       kwargs={"eps": eps}, output=_dot_with(dout))
        check_gradient(f, at, analytic, name=f"spatial_batchnorm_backward {label}", rtol=1e-5,
                       atol=1e-6 * max(1.0, float(np.abs(analytic).max())))


@invariant("spatial_batchnorm_backward", "spatial_batchnorm_train")
@given(inputs=_spatial_inputs(), eps=bn_eps(), seed=_SEED)
def test_spatial_batchnorm_backward_matches_autograd(impl, inputs, eps, seed):
    """dx, dgamma, dbeta match autograd applied to the reference spatial forward."""
    x, gamma, beta = inputs
    dout = bn_seeded_normal(seed, x.shape)
    _, cache = impl.call("spatial_batchnorm_train", x, gamma, beta, eps=eps)
    got = impl.call("spatial_batchnorm_backward", dout, cache)
    _check_param_shapes("spatial_batchnorm_backward", got[1], got[2], gamma)

    def loss(x_, g_, b_):
        return np.sum(ref.spatial_batchnorm_train_forward(x_, g_, b_, eps) * dout)

    for i, label in enumerate(("dx", "dgamma", "dbeta")):
        want = autograd.grad(loss, i)(x, gamma, beta)
        assert_close(got[i], want, rtol=RTOL, atol=_atol(want),
                     name=f"spatial_batchnorm_backward {label} vs autograd")
