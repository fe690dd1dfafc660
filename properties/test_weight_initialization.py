"""Properties of the notes' section "Weight Initialization".

Weights are [fan_in x fan_out] (a neuron is a column), so the "n" of the notes is fan_in.
Initializers are random, so most properties are calibrated statistical tests
(:mod:`nncheck.stats`): every Hypothesis example spends a false-alarm budget of
``ALPHA = 1e-9`` (split between the assertions it makes), and a property's per-run rate is
at most ``ALPHA`` times the number of examples (``RUN_RATE`` bounds it for the largest
profile). Sample sizes come from :func:`nncheck.stats.samples_to_detect`, so the bugs
that matter are caught with probability at least ``1 - 1e-9`` per example: a variance
10 % off, a departure from the normal shape of Kolmogorov distance 0.04, any truncation.
Every random draw (the initializer's seed, the inputs fed through a layer) comes from a
seed that Hypothesis draws, so a failure replays exactly.

To reach a sample size, several weight matrices are pooled, drawn with the seeds
``seed, seed + 1, ...``; for a correct initializer they are independent.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.stats as sps
from hypothesis import Phase, given
from hypothesis import strategies as st

from nncheck import stats
from nncheck.compare import assert_close
from nncheck.reference.losses import softmax_loss
from nncheck.strategies import SEED_MAX, layer_shapes, seeds, wide_sizes
from nncheck.suite import PROFILES, invariant

ALPHA = 1e-9  # false-alarm budget of one Hypothesis example
RUN_RATE = ALPHA * max(PROFILES.values())  # bound on the per-run false-alarm rate

# Samples for a variance test (mean known, 0) that catches a variance 10 % too large or too
# small with probability 1 - 1e-9, at ALPHA / 2 (the other half goes to the mean).
N_VARIANCE = max(stats.samples_to_detect(e, alpha=ALPHA / 2, mean_known=True)
                 for e in (0.1, 1 / 1.1 - 1))
# Samples for a shape test that catches a Kolmogorov distance of 0.04 from the normal
# (a uniform of the same variance is at 0.057) at ALPHA / 2.
N_SHAPE = stats.samples_to_detect(0.04, alpha=ALPHA / 2, kind="distribution")
# The normal puts 2 * Phi(-2) = 4.55 % of its mass beyond 2 standard deviations; a
# distribution truncated at 2 std (Keras, JAX "truncated_normal") puts none there.
TAIL_BEYOND_2_STD = float(2 * sps.norm.sf(2.0))
# Samples for the network-level variance tests: a variance 20 % off, at ALPHA / 2.
N_LAYER = max(stats.samples_to_detect(e, alpha=ALPHA / 2, mean_known=True)
              for e in (0.2, 1 / 1.2 - 1))
# ... and a gain 1.5 times too large or too small (the fan confusions these catch are larger).
N_GAIN = max(stats.samples_to_detect(e, alpha=ALPHA / 2, mean_known=True)
             for e in (0.5, 1 / 1.5 - 1))
DEPTH = 10  # layers of the deep ReLU stacks

# Statistical properties do not shrink a failure: every shrink step re-runs a test on tens
# of thousands of weights, and a smaller layer would not make the message clearer (it
# already gives the sizes, the statistic and its interval).
NO_SHRINK = {"phases": (Phase.explicit, Phase.reuse, Phase.generate)}

# The standard deviation each gaussian scheme promises, as a function of (fan_in, fan_out).
STD = {
    "small_random_init": lambda fan_in, fan_out: 0.01,
    "calibrated_init": lambda fan_in, fan_out: 1.0 / math.sqrt(fan_in),
    "glorot_init": lambda fan_in, fan_out: math.sqrt(2.0 / (fan_in + fan_out)),
    "he_init": lambda fan_in, fan_out: math.sqrt(2.0 / fan_in),
}

# Layer sizes for the distribution tests: wide ranges, at least 256 weights per matrix so
# that pooling needs a bounded number of calls.
SHAPES = layer_shapes(max_fan=512, min_size=256)


# ------------------------------------------------------------------------------ helpers

def _weights(impl, name, fan_in, fan_out, seed, **kwargs) -> np.ndarray:
    """One call of the initializer, with the [fan_in x fan_out] layout checked."""
    w = impl.call(name, fan_in, fan_out, seed % (SEED_MAX + 1), **kwargs)
    _check_layout(name, fan_in, fan_out, w)
    return w


def _weights_many(impl, name, fan_in, fan_out, seeds, **kwargs) -> list[np.ndarray]:
    """One call per seed, made in one go (Implementation.call_many), layouts checked."""
    calls = [((fan_in, fan_out, seed % (SEED_MAX + 1)), kwargs) for seed in seeds]
    found = impl.call_many(name, calls)
    for w in found:
        _check_layout(name, fan_in, fan_out, w)
    return found


def _check_layout(name, fan_in, fan_out, w) -> None:
    if w.shape != (fan_in, fan_out):
        raise AssertionError(
            f"{name}({fan_in}, {fan_out}, ...) returned shape {w.shape}; the contract's "
            f"layout is [fan_in x fan_out] = {(fan_in, fan_out)} (a neuron is a column)")


def _pooled(impl, name, fan_in, fan_out, seed, n_samples, pick=np.ravel, per_call=None,
            **kwargs):
    """Values ``pick(W)`` pooled over matrices drawn with seeds seed, seed+1, ... until at
    least ``n_samples`` are collected. ``per_call`` is how many values a correct
    implementation gives per matrix (default: all its weights); an implementation that
    gives fewer is called at most twice as often as a correct one would need, and the test
    then runs on what it gave (still at its false-alarm rate, with less power: the
    property that counts the values is the one that rejects it)."""
    per_call = per_call or fan_in * fan_out
    needed = -(-n_samples // per_call)
    max_calls = 2 * needed + 1
    parts, total, made = [], 0, 0
    while made < max_calls and total < n_samples:
        batch = min(max(needed - made, 1), max_calls - made)  # what a correct one needs
        calls = [((fan_in, fan_out, (seed + made + i) % (SEED_MAX + 1)), kwargs)
                 for i in range(batch)]
        for w in impl.call_many(name, calls):
            _check_layout(name, fan_in, fan_out, w)
            part = pick(w)
            parts.append(part)
            total += part.size
            made += 1
            if total >= n_samples:
                break
    if total < 2:
        raise AssertionError(f"{name}: {max_calls} matrices gave only {total} value(s) to test")
    return np.concatenate(parts)


def _check_mean_and_variance(w: np.ndarray, std: float, label: str) -> None:
    """Zero mean (z test, known std) and variance std**2 (chi-square, known mean 0)."""
    stats.assert_mean(w, 0.0, std=std, alpha=ALPHA / 2, name=f"{label} mean")
    stats.assert_variance(w, std**2, mean=0.0, alpha=ALPHA / 2, name=f"{label} variance")


def _check_normal_shape(w: np.ndarray, std: float, label: str) -> None:
    """KS against N(0, std) and the normal's mass beyond 2 std (catches any truncation)."""
    z = w / std
    stats.assert_distribution(z, sps.norm(0.0, 1.0), alpha=ALPHA / 2,
                              name=f"{label} standardized by the promised std {std:.4g}")
    beyond = int(np.count_nonzero(np.abs(z) > 2.0))
    stats.assert_proportion(beyond, z.size, TAIL_BEYOND_2_STD, alpha=ALPHA / 2,
                            name=f"{label}: share of weights beyond 2 std (0 if truncated)",
                            under=_beyond_2)


def _beyond_2(dist) -> float:
    """The share of a distribution's mass beyond +-2 (for a declared one, stats.DrawnFrom)."""
    return float(dist.sf(2.0) + dist.cdf(-2.0))


def _variance_property(impl, name, shape, seed):
    fan_in, fan_out = shape
    std = STD[name](fan_in, fan_out)
    w = _pooled(impl, name, fan_in, fan_out, seed, N_VARIANCE)
    _check_mean_and_variance(w, std, f"{name}({fan_in}, {fan_out})")


def _shape_property(impl, name, shape, seed):
    fan_in, fan_out = shape
    std = STD[name](fan_in, fan_out)
    w = _pooled(impl, name, fan_in, fan_out, seed, N_SHAPE)
    _check_normal_shape(w, std, f"{name}({fan_in}, {fan_out})")


def _seeded_property(impl, name, shape, seed, other, **kwargs):
    fan_in, fan_out = shape
    first = _weights(impl, name, fan_in, fan_out, seed, **kwargs)
    again = _weights(impl, name, fan_in, fan_out, seed, **kwargs)
    assert np.array_equal(first, again), (
        f"{name}({fan_in}, {fan_out}, seed={seed}) gave different weights on a second call "
        "with the same seed (is it drawing from a global random state?)")
    different = _weights(impl, name, fan_in, fan_out, other, **kwargs)
    assert not np.array_equal(first, different), (
        f"{name}({fan_in}, {fan_out}) gave identical weights for seeds {seed} and {other} "
        "(is the seed ignored?)")


def _rademacher(rng: np.random.Generator, size: int, scale: float) -> np.ndarray:
    """Zero-mean inputs of variance scale**2: random signs times ``scale``. With such an
    input, x @ w for a gaussian column w is exactly gaussian, so tests on it are exact."""
    return scale * rng.choice(np.array([-1.0, 1.0]), size=size)


other_seeds = st.integers(1, SEED_MAX)  # offset to a different seed


# ----------------------------------------------------------------- distribution and variance

@invariant("small_random_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(shape=SHAPES, seed=seeds())
def test_small_random_init_variance(impl, shape, seed):
    """0.01 * randn: zero mean and std 0.01 whatever the layer size (z and chi-square tests)."""
    _variance_property(impl, "small_random_init", shape, seed)


@invariant("calibrated_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(shape=SHAPES, seed=seeds())
def test_calibrated_init_variance(impl, shape, seed):
    """randn / sqrt(n): zero mean and Var(w) = 1 / fan_in (z and chi-square tests)."""
    _variance_property(impl, "calibrated_init", shape, seed)


@invariant("glorot_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(shape=SHAPES, seed=seeds())
def test_glorot_init_variance(impl, shape, seed):
    """Glorot: zero mean and Var(w) = 2 / (fan_in + fan_out) (z and chi-square tests)."""
    _variance_property(impl, "glorot_init", shape, seed)


@invariant("he_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(shape=SHAPES, seed=seeds())
def test_he_init_variance(impl, shape, seed):
    """He: zero mean and Var(w) = 2 / fan_in (z and chi-square tests)."""
    _variance_property(impl, "he_init", shape, seed)


@invariant("small_random_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(shape=SHAPES, seed=seeds())
def test_small_random_init_normal_shape(impl, shape, seed):
    """The weights are gaussian, not uniform or truncated (KS test and the mass beyond 2 std)."""
    _shape_property(impl, "small_random_init", shape, seed)


@invariant("calibrated_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(shape=SHAPES, seed=seeds())
def test_calibrated_init_normal_shape(impl, shape, seed):
    """The weights are gaussian, not uniform or truncated (KS test and the mass beyond 2 std)."""
    _shape_property(impl, "calibrated_init", shape, seed)


@invariant("glorot_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(shape=SHAPES, seed=seeds())
def test_glorot_init_normal_shape(impl, shape, seed):
    """The weights are gaussian, not uniform or truncated (KS test and the mass beyond 2 std)."""
    _shape_property(impl, "glorot_init", shape, seed)


@invariant("he_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(shape=SHAPES, seed=seeds())
def test_he_init_normal_shape(impl, shape, seed):
    """The weights are gaussian, not uniform or truncated (KS test and the mass beyond 2 std)."""
    _shape_property(impl, "he_init", shape, seed)


# ----------------------------------------------------------------------------- determinism

@invariant("small_random_init")
@given(shape=layer_shapes(max_fan=64), seed=seeds(), offset=other_seeds)
def test_small_random_init_seeded(impl, shape, seed, offset):
    """Same seed, same weights; a different seed, different weights."""
    _seeded_property(impl, "small_random_init", shape, seed, (seed + offset) % (SEED_MAX + 1))


@invariant("calibrated_init")
@given(shape=layer_shapes(max_fan=64), seed=seeds(), offset=other_seeds)
def test_calibrated_init_seeded(impl, shape, seed, offset):
    """Same seed, same weights; a different seed, different weights."""
    _seeded_property(impl, "calibrated_init", shape, seed, (seed + offset) % (SEED_MAX + 1))


@invariant("glorot_init")
@given(shape=layer_shapes(max_fan=64), seed=seeds(), offset=other_seeds)
def test_glorot_init_seeded(impl, shape, seed, offset):
    """Same seed, same weights; a different seed, different weights."""
    _seeded_property(impl, "glorot_init", shape, seed, (seed + offset) % (SEED_MAX + 1))


@invariant("he_init")
@given(shape=layer_shapes(max_fan=64), seed=seeds(), offset=other_seeds)
def test_he_init_seeded(impl, shape, seed, offset):
    """Same seed, same weights; a different seed, different weights."""
    _seeded_property(impl, "he_init", shape, seed, (seed + offset) % (SEED_MAX + 1))


@invariant("sparse_init")
@given(shape=layer_shapes(max_fan=64), seed=seeds(), offset=other_seeds,
       k=st.integers(1, 20))
def test_sparse_init_seeded(impl, shape, seed, offset, k):
    """Same seed, same weights (values and positions); a different seed, different weights."""
    _seeded_property(impl, "sparse_init", shape, seed, (seed + offset) % (SEED_MAX + 1), k=k)


# ---------------------------------------------------------------------------- zero init

@invariant("zeros_init")
@given(shape=layer_shapes(max_fan=512), seed=seeds())
def test_zeros_init_all_zero(impl, shape, seed):
    """Every weight is exactly 0, in the [fan_in x fan_out] layout, whatever the seed."""
    w = _weights(impl, "zeros_init", *shape, seed)
    nonzero = int(np.count_nonzero(w))
    assert nonzero == 0, (f"zeros_init{shape} has {nonzero} non-zero weight(s), "
                          f"largest |w| = {np.max(np.abs(w)):.3g}")


def _two_layer_gradients(x, y, w1, b1, w2, b2):
    """Gradients of the mean softmax loss of relu(x @ w1 + b1) @ w2 + b2."""
    a = x @ w1 + b1
    h = np.maximum(a, 0.0)
    _, dscores = softmax_loss(h @ w2 + b2, y)
    dw2 = h.T @ dscores
    db2 = dscores.sum(axis=0)
    da = (dscores @ w2.T) * (a > 0)
    return x.T @ da, da.sum(axis=0), dw2, db2


def _assert_all_equal(columns: np.ndarray, what: str) -> None:
    """Every column of ``columns`` equals the first (up to rounding of the matrix product)."""
    scale = float(np.max(np.abs(columns))) if columns.size else 0.0
    for j in range(1, columns.shape[1]):
        assert_close(columns[:, j], columns[:, 0], rtol=1e-9, atol=1e-12 * scale,
                     name=f"{what}: neuron {j} vs neuron 0")


@invariant("zeros_init")
@given(d=st.integers(1, 12), hidden=st.integers(2, 12), classes=st.integers(2, 6),
       seed=seeds(), steps=st.integers(1, 4))
def test_zeros_init_symmetry_never_breaks(impl, d, hidden, classes, seed, steps):
    """In a two-layer ReLU net started from zeros_init (biases 0.01), every hidden neuron
    gets the same gradient at every step, so the neurons stay identical."""
    rng = np.random.default_rng(seed)
    # 17 examples: no class count divides 17, so the classes are never exactly balanced
    # and the first gradient of the second layer is not zero (the test is not vacuous).
    x = rng.standard_normal((17, d))
    y = rng.integers(0, classes, size=17)
    w1 = _weights(impl, "zeros_init", d, hidden, seed)
    w2 = _weights(impl, "zeros_init", hidden, classes, seed + 1)
    b1, b2 = np.full(hidden, 0.01), np.zeros(classes)
    for step in range(steps):
        dw1, db1, dw2, db2 = _two_layer_gradients(x, y, w1, b1, w2, b2)
        _assert_all_equal(dw1, f"step {step}: gradient of the first layer's weights")
        _assert_all_equal(db1[None, :], f"step {step}: gradient of the hidden biases")
        _assert_all_equal(dw2.T, f"step {step}: gradient of the second layer's weights")
        w1, b1, w2, b2 = w1 - dw1, b1 - db1, w2 - dw2, b2 - db2
    _assert_all_equal(w1, f"after {steps} step(s): first-layer weight vectors")
    _assert_all_equal(w2.T, f"after {steps} step(s): second-layer weights of each neuron")
    assert np.any(w2 != 0), "premise: training moved the second layer"


@invariant("small_random_init", false_alarm_rate=1e-12, **NO_SHRINK)
@given(d=st.integers(2, 12), hidden=st.integers(2, 12), classes=st.integers(2, 6),
       seed=seeds())
def test_small_random_init_breaks_symmetry(impl, d, hidden, classes, seed):
    """In a two-layer ReLU net started from 0.01 * randn, no two hidden neurons have the same
    weights or receive the same gradient. (A correct initializer fails only if two neurons
    are dead on all 64 examples: probability below 1e-12 per run.)"""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, d))
    y = rng.integers(0, classes, size=64)
    w1 = _weights(impl, "small_random_init", d, hidden, seed)
    w2 = _weights(impl, "small_random_init", hidden, classes, seed + 1)
    dw1, _, _, _ = _two_layer_gradients(x, y, w1, np.zeros(hidden), w2, np.zeros(classes))
    for what, m in (("weight vectors", w1), ("weight gradients", dw1)):
        for i in range(hidden):
            for j in range(i + 1, hidden):
                assert not np.array_equal(m[:, i], m[:, j]), (
                    f"hidden neurons {i} and {j} have identical {what}: symmetry is not broken")


# --------------------------------------------------------------------- 1/sqrt(n) calibration

@invariant("calibrated_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(n=wide_sizes(1, 1024), fan_out=st.integers(128, 512), seed=seeds(),
       x_std=st.floats(0.1, 10.0))
def test_calibrated_init_preserves_score_variance(impl, n, fan_out, seed, x_std):
    """With Var(w) = 1/n and zero-mean inputs, Var(s) = Var(x) for s = x @ W, for n from 1
    to 1024 (chi-square test on the scores of independent layers)."""
    rng = np.random.default_rng(seed)
    calls = -(-N_GAIN // fan_out)  # each layer gives fan_out scores
    parts = [_rademacher(rng, n, x_std) @ w for w in _weights_many(
        impl, "calibrated_init", n, fan_out, range(seed, seed + calls))]
    s = np.concatenate(parts)
    # Given x = x_std * signs, every score x @ w_j is N(0, n * Var(w) * x_std**2): exact.
    stats.assert_mean(s, 0.0, std=x_std, alpha=ALPHA / 2, name=f"mean of s = x @ W (n={n})")
    stats.assert_variance(s, x_std**2, mean=0.0, alpha=ALPHA / 2,
                          name=f"Var(s) for s = x @ W, n={n}, Var(x)={x_std**2:.4g}")


# ------------------------------------------------------------------------ deep ReLU stacks

@invariant("he_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(width=wide_sizes(32, 256), seed=seeds())
def test_he_init_keeps_scale_through_deep_relu_stack(impl, width, seed):
    """Through 10 ReLU layers of He weights the second moment is preserved layer by layer:
    given a layer's input h, its pre-activations have variance 2 * mean(h**2), exactly
    what the ReLU halves again (chi-square test pooled over the layers)."""
    rng = np.random.default_rng(seed)
    z_parts, ratios, call = [], [], 0
    while sum(p.size for p in z_parts) < N_LAYER:
        h = rng.standard_normal(width)
        start = float(np.mean(h**2))
        for w in _weights_many(impl, "he_init", width, width, range(seed + call, seed + call + DEPTH)):
            call += 1
            second_moment = float(np.mean(h**2))
            if second_moment == 0.0:  # every unit dead: a later layer has nothing to carry
                break
            s = h @ w
            z_parts.append(s / math.sqrt(2.0 * second_moment))
            h = np.maximum(s, 0.0)
        ratios.append(float(np.mean(h**2)) / start)
    z = np.concatenate(z_parts)
    detail = (f"; after {DEPTH} layers of width {width} the mean square of the activations "
              f"is {np.median(ratios):.3g} times the input's (median over {len(ratios)} stacks)")
    try:
        stats.assert_variance(z, 1.0, mean=0.0, alpha=ALPHA,
                              name="pre-activation variance / (2 * mean square of the input)")
    except stats.StatisticalAssertionError as err:
        raise stats.StatisticalAssertionError(
            str(err) + detail, name=err.name, observed=err.observed, expected=err.expected,
            interval=err.interval, alpha=err.alpha, n=err.n) from None


@invariant("small_random_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(width=wide_sizes(16, 256), seed=seeds())
def test_small_random_init_vanishes_in_deep_relu_stack(impl, width, seed):
    """Through 10 ReLU layers of 0.01 * randn the activations vanish: their mean square
    falls below 1e-6 of the input's (a bound that a correct initializer breaks with
    probability at most 1e-9)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(width)
    h = x
    for w in _weights_many(impl, "small_random_init", width, width, range(seed, seed + DEPTH)):
        h = np.maximum(h @ w, 0.0)
    ratio = float(np.mean(h**2) / np.mean(x**2))
    # Given its input h, a layer's pre-activations are N(0, 0.01^2 |h|^2), so the mean
    # square grows by at most 0.01^2 * width * C with C ~ chi2(width) / width (the ReLU only
    # removes mass). With C below its 1 - ALPHA/DEPTH quantile in every layer, which fails
    # with probability at most ALPHA:
    c = sps.chi2.isf(ALPHA / DEPTH, width) / width
    bound = (0.01**2 * width * c) ** DEPTH
    assert bound < 1e-6, f"premise: the bound {bound:.3g} shows vanishing at width {width}"
    assert ratio <= bound, (
        f"after {DEPTH} ReLU layers of width {width} the mean square of the activations is "
        f"{ratio:.3g} times the input's; with 0.01 * randn weights it is at most "
        f"{bound:.3g} (except with probability {ALPHA:g})")


# ------------------------------------------------------------------------------- Glorot

@invariant("glorot_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(fan_in=wide_sizes(16, 512), fan_out=wide_sizes(16, 512), seed=seeds())
def test_glorot_init_balances_forward_and_backward(impl, fan_in, fan_out, seed):
    """Glorot splits the difference between the passes: the forward gain Var(x @ W)/Var(x)
    is 2 n_in/(n_in + n_out), the backward gain Var(g @ W.T)/Var(g) is 2 n_out/(n_in + n_out),
    and the two sum to 2 (both equal 1 when n_in = n_out)."""
    rng = np.random.default_rng(seed)
    fwd_gain = 2.0 * fan_in / (fan_in + fan_out)
    bwd_gain = 2.0 * fan_out / (fan_in + fan_out)
    forward, backward = [], []
    calls = -(-N_GAIN // min(fan_in, fan_out))  # each layer gives fan_out and fan_in values
    for w in _weights_many(impl, "glorot_init", fan_in, fan_out, range(seed, seed + calls)):
        forward.append(_rademacher(rng, fan_in, 1.0) @ w)  # scores of one input
        backward.append(_rademacher(rng, fan_out, 1.0) @ w.T)  # gradient on that input
    stats.assert_variance(np.concatenate(forward), fwd_gain, mean=0.0, alpha=ALPHA / 2,
                          name=f"forward gain ({fan_in} -> {fan_out})")
    stats.assert_variance(np.concatenate(backward), bwd_gain, mean=0.0, alpha=ALPHA / 2,
                          name=f"backward gain ({fan_out} -> {fan_in})")


# ------------------------------------------------------------------------------- sparse

@st.composite
def sparse_cases(draw, max_fan_in=512, min_nonzeros=64):
    """(fan_in, fan_out, kwargs, k, scale): k and scale given or left to their defaults;
    at least ``min_nonzeros`` non-zero weights per matrix."""
    fan_in = draw(wide_sizes(1, max_fan_in), label="fan_in")
    k = draw(st.one_of(st.none(), st.integers(1, 30)), label="k")
    scale = draw(st.one_of(st.none(), st.floats(1e-3, 1.0)), label="scale")
    kept = min(10 if k is None else k, fan_in)
    fan_out = draw(wide_sizes(min(512, -(-min_nonzeros // kept)), 512), label="fan_out")
    kwargs = {key: v for key, v in (("k", k), ("scale", scale)) if v is not None}
    return fan_in, fan_out, kwargs, 10 if k is None else k, 0.01 if scale is None else scale


def _nonzeros(w: np.ndarray) -> np.ndarray:
    return w[w != 0]


@invariant("sparse_init")
@given(case=sparse_cases(), seed=seeds())
def test_sparse_init_k_nonzeros_per_column(impl, case, seed):
    """Every neuron (column) is connected to exactly min(k, fan_in) inputs (k = 10 by default)."""
    fan_in, fan_out, kwargs, k, _ = case
    w = _weights(impl, "sparse_init", fan_in, fan_out, seed, **kwargs)
    counts = np.count_nonzero(w, axis=0)
    want = min(k, fan_in)
    bad = np.flatnonzero(counts != want)
    assert bad.size == 0, (
        f"sparse_init({fan_in}, {fan_out}, k={k}): {bad.size} of {fan_out} columns do not have "
        f"exactly {want} non-zeros, e.g. column {bad[0]} has {counts[bad[0]]}")


@invariant("sparse_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(case=sparse_cases(), seed=seeds())
def test_sparse_init_positions_random(impl, case, seed):
    """Each neuron's inputs are a uniform random subset: the first and the last input are
    each connected with probability k / fan_in, and two neurons share the same subset only
    as often as chance allows (exact binomial tests)."""
    fan_in, fan_out, kwargs, k, _ = case
    kept = min(k, fan_in)
    p = kept / fan_in
    pair_p = 1.0 / math.comb(fan_in, kept)  # two independent uniform subsets coincide
    need = 2
    if p < 1.0:
        need = max(need, stats.samples_to_detect((1 - p) / p, alpha=ALPHA / 3,
                                                 kind="proportion", p=p))
        need = max(need, 2 * stats.samples_to_detect((1 - pair_p) / pair_p, alpha=ALPHA / 3,
                                                     kind="proportion", p=pair_p))
    cols = _pooled(impl, "sparse_init", fan_in, fan_out, seed, need * fan_in,
                   pick=lambda w: (w != 0).T.ravel(), **kwargs).reshape(-1, fan_in)
    n_cols = cols.shape[0]
    label = f"sparse_init({fan_in}, ., k={k})"
    stats.assert_proportion(int(cols[:, 0].sum()), n_cols, p, alpha=ALPHA / 3,
                            name=f"{label}: share of neurons connected to the first input")
    stats.assert_proportion(int(cols[:, -1].sum()), n_cols, p, alpha=ALPHA / 3,
                            name=f"{label}: share of neurons connected to the last input")
    pairs = n_cols // 2
    same = int(np.all(cols[0:2 * pairs:2] == cols[1:2 * pairs:2], axis=1).sum())
    stats.assert_proportion(same, pairs, pair_p, alpha=ALPHA / 3,
                            name=f"{label}: share of neuron pairs with identical inputs")


@invariant("sparse_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(case=sparse_cases(max_fan_in=64, min_nonzeros=256), seed=seeds())
def test_sparse_init_variance(impl, case, seed):
    """The non-zero weights have zero mean and std ``scale`` (0.01 by default)."""
    fan_in, fan_out, kwargs, k, scale = case
    w = _pooled(impl, "sparse_init", fan_in, fan_out, seed, N_VARIANCE, pick=_nonzeros,
                per_call=min(k, fan_in) * fan_out, **kwargs)
    _check_mean_and_variance(w, scale, f"non-zero weights of sparse_init({fan_in}, {fan_out})")


@invariant("sparse_init", false_alarm_rate=RUN_RATE, **NO_SHRINK)
@given(case=sparse_cases(max_fan_in=64, min_nonzeros=256), seed=seeds())
def test_sparse_init_normal_shape(impl, case, seed):
    """The non-zero weights are gaussian (KS test and the mass beyond 2 std)."""
    fan_in, fan_out, kwargs, k, scale = case
    w = _pooled(impl, "sparse_init", fan_in, fan_out, seed, N_SHAPE, pick=_nonzeros,
                per_call=min(k, fan_in) * fan_out, **kwargs)
    _check_normal_shape(w, scale, f"non-zero weights of sparse_init({fan_in}, {fan_out})")


# -------------------------------------------------------------------------------- biases

@invariant("bias_init")
@given(fan_out=wide_sizes(1, 1024),
       value=st.one_of(st.none(), st.just(0.01), st.floats(-1.0, 1.0)))
def test_bias_init_constant(impl, fan_out, value):
    """Biases are a [fan_out] vector holding the given constant (0 by default, e.g. 0.01
    for ReLU units)."""
    b = impl.call("bias_init", fan_out) if value is None else impl.call(
        "bias_init", fan_out, value=value)
    want = 0.0 if value is None else value
    assert b.shape == (fan_out,), f"bias_init({fan_out}) has shape {b.shape}, not ({fan_out},)"
    wrong = np.flatnonzero(b != want)
    assert wrong.size == 0, (f"bias_init({fan_out}, value={want!r}): {wrong.size} entries differ, "
                             f"e.g. b[{wrong[0]}] = {b[wrong[0]]!r}")
