"""Properties of the notes' section "Regularization".

Penalties (L2 with its 1/2, L1 with its subgradient, the elastic net), the total objective
with biases left unregularized, max-norm projection of every neuron's column, and dropout
with keep-probability p: inverted (scaled at train time), vanilla (scaled at test time),
on hidden or input layers, and DropConnect on the weights.

Statistical properties assert through :mod:`nncheck.stats`. Each assertion runs at
``ALPHA`` = 1e-11; the exact rejection probability of a correct implementation is at most
2.5e-11 per example (``tests/test_regularization_power.py`` computes it from the binomial
law), so a property that makes one assertion per example has a false-alarm rate below
``FALSE_ALARM_RATE`` = 1e-8 per run even in the ``thorough`` profile (400 examples).
The same file shows that ``N_UNITS`` units per example catch every bug named in the issue
(1/p forgotten, 1/(1 - p), keep vs drop swapped, a mask shared by the batch, ...) with
probability above 1 - 1e-9 per example, for every p the strategies draw.
"""

from __future__ import annotations

import copy
import math

import autograd
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nncheck import stats
from nncheck.compare import assert_close
from nncheck.gradcheck import check_gradient
from nncheck.implementation import Feed
from nncheck.reference import regularization as ref
from nncheck.strategies import (
    distinguishable_keep_probabilities,
    dropout_inputs,
    float_matrices,
    keep_probabilities,
    max_norm_cases,
    network_params,
    probe_weights,
    reg_strengths,
    seeds,
    sizes,
    tiled_activations,
    weight_matrices,
    weights_with_zeros,
)
from nncheck.suite import invariant

RTOL, ATOL = 1e-9, 1e-12  # agreement with the reference (float64, different operation order)
ALPHA = 1e-11  # per assertion
FALSE_ALARM_RATE = 1e-8  # per property and run, any profile (see the module docstring)
N_UNITS = 20_000  # units pooled per example by the statistical dropout properties
DC_SIDE = 150  # DropConnect probes a [DC_SIDE x DC_SIDE] weight matrix: 22 500 weights

PENALTIES = {
    "l2_penalty": (ref.l2_penalty, ref.l2_penalty_forward),
    "l1_penalty": (ref.l1_penalty, ref.l1_penalty_forward),
}


def _strengths():
    return st.floats(1e-3, 10.0)


def _dot_with(dout):
    """The scalar <dout, out> of a forward's first output: its gradient is the backward's."""
    return lambda result: float(np.sum(dout * result[0]))


def _gradcheck(f, x, analytic, *, scale, name):
    """check_gradient with an absolute tolerance for the rounding of central differences:
    about eps * scale / h, with ``scale`` the sum of the magnitudes of the terms of f and
    h >= 1e-6 (the engine's step). 1e-8 * scale leaves a margin of ~45 over that bound,
    while every bug targeted here changes some gradient entry by O(its size)."""
    check_gradient(f, x, analytic, name=name, atol=1e-8 * (1.0 + scale))


# ================================================================================ penalties

@invariant("l2_penalty")
@given(W=weight_matrices(), reg=reg_strengths())
def test_l2_matches_reference(impl, W, reg):
    """Penalty 0.5 * reg * sum(W**2) and gradient reg * W agree with the reference."""
    _penalty_matches_reference(impl, "l2_penalty", W, reg)


@invariant("l1_penalty")
@given(W=weight_matrices(gap=1e-6), reg=reg_strengths())
def test_l1_matches_reference(impl, W, reg):
    """Penalty reg * sum(|W|) and subgradient reg * sign(W) agree with the reference (for
    weights not exactly 0: the kink has an invariant of its own)."""
    _penalty_matches_reference(impl, "l1_penalty", W, reg)


def _penalty_matches_reference(impl, name, W, reg):
    penalty, dW = impl.call(name, W, reg)
    want, want_dW = PENALTIES[name][0](W, reg)
    assert_close(penalty, want, rtol=RTOL, atol=ATOL, name=f"{name} value")
    assert_close(dW, want_dW, rtol=RTOL, atol=ATOL, name=f"{name} dW")


@invariant("l2_penalty")
@given(W=weight_matrices(), reg=_strengths())
def test_l2_gradient_matches_numeric(impl, W, reg):
    """dW matches central differences of the implementation's own penalty, and autograd."""
    _gradient_matches(impl, "l2_penalty", W, reg)


@invariant("l1_penalty")
@given(W=weight_matrices(gap=1e-2), reg=_strengths())
def test_l1_gradient_matches_numeric(impl, W, reg):
    """Away from the kink at w = 0, dW matches central differences and autograd."""
    _gradient_matches(impl, "l1_penalty", W, reg)


def _gradient_matches(impl, name, W, reg):
    penalty, dW = impl.call(name, W, reg)
    _gradcheck(impl.along(name, (W, reg), 0), W, dW, scale=abs(penalty),
               name=f"{name} dW")
    want = autograd.grad(PENALTIES[name][1])(W, reg)
    assert_close(dW, want, rtol=RTOL, atol=ATOL, name=f"{name} dW vs autograd")


@invariant("l2_penalty")
@given(W=weight_matrices(), reg=reg_strengths(), lr=st.floats(1e-4, 1.0))
def test_l2_sgd_step_decays_linearly(impl, W, reg, lr):
    """An SGD step on the L2 term alone multiplies every weight by (1 - lr * reg)."""
    _, dW = impl.call("l2_penalty", W, reg)
    # atol: the rounding of W - lr * reg * W, which cancels when lr * reg is near 1
    assert_close(W - lr * dW, (1.0 - lr * reg) * W, rtol=1e-12,
                 atol=1e-14 * float(np.max(np.abs(W), initial=0.0)) + 1e-300,
                 name="W - lr * dW (expected (1 - lr * reg) * W)")


@invariant("l1_penalty")
@given(W=weights_with_zeros(), reg=_strengths())
def test_l1_subgradient_zero_at_zero(impl, W, reg):
    """Where a weight is exactly 0 the L1 subgradient is 0 (sign(0) = 0), so it stays put.

    (Any value in [-reg, reg] is a subgradient there; the contract chooses 0. The gradient
    is compared in units of reg, so an adapter can declare another valid choice as a
    deviation bounded by 1.)"""
    _, dW = impl.call("l1_penalty", W, reg)
    zeros = W == 0
    assert_close(dW[zeros] / reg, np.zeros(int(zeros.sum())), rtol=0, atol=0,
                 name="dW / reg at the weights equal to 0")


@invariant("l1_penalty", "l2_penalty")
@given(W=weight_matrices(bound=1.0, gap=1e-2), reg=st.floats(0.01, 1.0),
       step=st.floats(0.01, 0.5))
def test_l1_reaches_exact_zero_faster_than_l2(impl, W, reg, step):
    """L1 (proximal) steps drive weights to exactly 0, and faster than L2 steps do.

    With |w| <= 1 and the same step lr * reg, clipped L1 updates reach exactly 0 within
    ceil(|w| / (lr * reg)) steps and stay below L2's |w| at every step; L2 only shrinks
    geometrically and never reaches 0."""
    lr = step / reg
    n_steps = math.ceil(float(np.max(np.abs(W))) / step) + 1
    descent = []  # the arguments of each L2 call: W, then W after each step of descent
    impl.iterate("l2_penalty", (W, reg), n_steps + 1, [Feed(1, 0, scale=-lr, keep=1)],
                 attempted=descent)
    w1 = W.copy()
    for t in range(1, n_steps + 1):
        half = w1 - lr * impl.call("l1_penalty", w1, reg)[1]
        w1 = np.where(half * w1 > 0, half, 0.0)  # a step that crosses 0 stops at 0
        w2 = descent[t][0]
        worse = np.abs(w1) > np.abs(w2) * (1 + 1e-12)
        assert not worse.any(), (
            f"step {t}: L1 weight {w1[worse][0]!r} is larger in magnitude than the L2 weight "
            f"{w2[worse][0]!r} started from the same value")
    assert np.all(w1 == 0), (
        f"after {n_steps} clipped L1 steps of size {step:g}, {int(np.count_nonzero(w1))} of "
        f"{w1.size} weights are not exactly 0 (e.g. {w1[w1 != 0][0]!r})")
    assert np.all(w2 != 0), "L2 decay reached exactly 0, which geometric decay cannot"


@invariant("elastic_net_penalty")
@given(W=weight_matrices(gap=1e-6), reg_l1=reg_strengths(), reg_l2=reg_strengths())
def test_elastic_net_matches_reference(impl, W, reg_l1, reg_l2):
    """reg_l1 * sum|W| + reg_l2 * sum W**2 and its gradient agree with the reference (for
    weights not exactly 0: the kink has an invariant of its own)."""
    penalty, dW = impl.call("elastic_net_penalty", W, reg_l1, reg_l2)
    want, want_dW = ref.elastic_net_penalty(W, reg_l1, reg_l2)
    assert_close(penalty, want, rtol=RTOL, atol=ATOL, name="elastic net value")
    assert_close(dW, want_dW, rtol=RTOL, atol=ATOL, name="elastic net dW")


@invariant("elastic_net_penalty")
@given(W=weights_with_zeros(), reg_l1=_strengths(), reg_l2=reg_strengths())
def test_elastic_net_subgradient_zero_at_zero(impl, W, reg_l1, reg_l2):
    """Where a weight is exactly 0 the elastic-net subgradient is 0: sign(0) = 0 and the L2
    part vanishes. (Any value in [-reg_l1, reg_l1] is a subgradient there; compared in units
    of reg_l1, another valid choice is a deviation bounded by 1.)"""
    _, dW = impl.call("elastic_net_penalty", W, reg_l1, reg_l2)
    zeros = W == 0
    assert_close(dW[zeros] / reg_l1, np.zeros(int(zeros.sum())), rtol=0, atol=0,
                 name="dW / reg_l1 at the weights equal to 0")


@invariant("elastic_net_penalty")
@given(W=weight_matrices(gap=1e-2), reg_l1=_strengths(), reg_l2=_strengths())
def test_elastic_net_gradient_matches_numeric(impl, W, reg_l1, reg_l2):
    """Away from w = 0, dW matches central differences of the penalty and autograd."""
    penalty, dW = impl.call("elastic_net_penalty", W, reg_l1, reg_l2)
    _gradcheck(impl.along("elastic_net_penalty", (W, reg_l1, reg_l2), 0), W, dW,
               scale=abs(penalty), name="elastic net dW")
    want = autograd.grad(ref.elastic_net_penalty_forward)(W, reg_l1, reg_l2)
    assert_close(dW, want, rtol=RTOL, atol=ATOL, name="elastic net dW vs autograd")


@invariant("elastic_net_penalty", "l1_penalty", "l2_penalty")
@given(W=weight_matrices(), reg_l1=reg_strengths(), reg_l2=reg_strengths())
def test_elastic_net_combines_l1_and_l2(impl, W, reg_l1, reg_l2):
    """The elastic net is l1(W, a) + l2(W, 2b), in value and gradient.

    2b because the L2 penalty carries a 1/2 and the elastic net's L2 part does not."""
    penalty, dW = impl.call("elastic_net_penalty", W, reg_l1, reg_l2)
    p1, d1 = impl.call("l1_penalty", W, reg_l1)
    p2, d2 = impl.call("l2_penalty", W, 2.0 * reg_l2)
    assert_close(penalty, p1 + p2, rtol=RTOL, atol=ATOL, name="elastic net vs l1 + l2")
    assert_close(dW, d1 + d2, rtol=RTOL, atol=ATOL, name="elastic net dW vs l1 + l2")


# ===================================================================== the total objective

def _objective(impl, data_loss, params, grads, reg, **flag):
    """Call regularized_objective on copies; check the inputs survive and the grads come
    back as a dict of float64 arrays with the input's keys and shapes."""
    p_in, g_in = copy.deepcopy(params), copy.deepcopy(grads)
    loss, out = impl.call("regularized_objective", data_loss, p_in, g_in, reg, **flag)
    for given_, kept, what in ((p_in, params, "params"), (g_in, grads, "grads")):
        changed = [k for k in kept if k not in given_ or not np.array_equal(given_[k], kept[k])]
        assert set(given_) == set(kept) and not changed, (
            f"regularized_objective modified its input {what} (keys {changed or 'changed'}); "
            "it must return a new dict")
    assert isinstance(out, dict) and set(out) == set(grads), (
        f"regularized_objective must return a dict with keys {sorted(grads)}, got "
        f"{sorted(out) if isinstance(out, dict) else type(out).__name__}")
    for k, g in out.items():
        assert isinstance(g, np.ndarray) and g.dtype == np.float64 and g.shape == grads[k].shape, (
            f"regularized_objective grads[{k!r}] must be a float64 array of shape "
            f"{grads[k].shape}, got {getattr(g, 'dtype', type(g).__name__)} "
            f"{getattr(g, 'shape', '')}")
    return loss, out


@invariant("regularized_objective")
@given(net=network_params(), reg=reg_strengths(), regularize_biases=st.booleans())
def test_objective_matches_reference(impl, net, reg, regularize_biases):
    """Loss and every gradient agree with the reference, with and without bias penalty."""
    loss, grads = _objective(impl, *net, reg, regularize_biases=regularize_biases)
    want, want_grads = ref.regularized_objective(*net, reg, regularize_biases)
    assert_close(loss, want, rtol=RTOL, atol=ATOL, name="objective")
    for k in want_grads:
        assert_close(grads[k], want_grads[k], rtol=RTOL, atol=ATOL, name=f"grads[{k!r}]")


@invariant("regularized_objective")
@given(net=network_params(), reg=st.floats(1e-3, 10.0), data=st.data())
def test_objective_leaves_biases_unregularized(impl, net, reg, data):
    """By default biases (and gamma/beta) are not penalized.

    Their gradients are the data gradients untouched and the objective does not depend
    on their values."""
    data_loss, params, grads = net
    loss, out = _objective(impl, data_loss, params, grads, reg)
    for k in params:
        if not k.startswith("W"):
            assert np.array_equal(out[k], grads[k]), (
                f"grads[{k!r}] changed although {k} is not a weight and biases are not "
                "regularized by default")
    moved = {k: (v if k.startswith("W") else v + data.draw(st.floats(-10, 10), label=f"d{k}"))
             for k, v in params.items()}
    loss2, _ = _objective(impl, data_loss, moved, grads, reg)
    assert_close(loss2, loss, rtol=1e-12, atol=1e-12,
                 name="objective after moving the biases (must not change)")


@invariant("regularized_objective")
@given(net=network_params(), reg=st.floats(1e-3, 10.0))
def test_objective_regularizes_biases_on_request(impl, net, reg):
    """With regularize_biases=True the biases are penalized like the weights.

    The objective grows by 0.5 * reg * sum(b**2), their gradients by reg * b; gamma/beta
    are still left alone."""
    data_loss, params, grads = net
    loss0, _ = _objective(impl, data_loss, params, grads, reg, regularize_biases=False)
    loss1, out = _objective(impl, data_loss, params, grads, reg, regularize_biases=True)
    biases = [k for k in params if k in ("b1", "b2")]
    extra = sum(0.5 * reg * float(np.sum(params[k] ** 2)) for k in biases)
    assert_close(loss1 - loss0, extra, rtol=1e-9, atol=1e-9 * (1 + abs(loss0)),
                 name="objective increase from the bias penalty")
    for k in params:
        want = grads[k] + reg * params[k] if k in biases or k.startswith("W") else grads[k]
        assert_close(out[k], want, rtol=RTOL, atol=ATOL, name=f"grads[{k!r}]")


@invariant("regularized_objective", "l2_penalty")
@given(net=network_params(), reg=reg_strengths())
def test_objective_is_data_loss_plus_l2_penalty(impl, net, reg):
    """The objective is the data loss plus the implementation's own l2_penalty.

    Objective - data loss = l2_penalty summed over the weights, and each weight's
    gradient = its data gradient + l2_penalty's dW."""
    data_loss, params, grads = net
    loss, out = _objective(impl, data_loss, params, grads, reg)
    penalties = {k: impl.call("l2_penalty", v, reg) for k, v in params.items()
                 if k.startswith("W")}
    assert_close(loss - data_loss, sum(p for p, _ in penalties.values()), rtol=1e-9,
                 atol=1e-12 * (1 + data_loss), name="objective - data loss")
    for k, (_, dW) in penalties.items():
        scale = 1.0 + float(np.max(np.abs(grads[k])))
        assert_close(out[k] - grads[k], dW, rtol=1e-9, atol=1e-12 * scale,
                     name=f"grads[{k!r}] - data gradient")


# ================================================================================ max norm

def _norms(W):
    return ref.column_norms(W)


@invariant("max_norm_project")
@given(case=max_norm_cases())
def test_max_norm_matches_reference(impl, case):
    """The projection agrees with the reference: each column outside scaled by c / ||w||."""
    W, c = case
    assert_close(impl.call("max_norm_project", W, c), ref.max_norm_project(W, c),
                 rtol=1e-12, atol=1e-300, name="projected W")


@invariant("max_norm_project")
@given(case=max_norm_cases())
def test_max_norm_columns_within_c(impl, case):
    """After projection every column (a neuron's weight vector) has L2 norm <= c."""
    W, c = case
    norms = _norms(impl.call("max_norm_project", W, c))
    bad = norms > c * (1 + 1e-12)
    assert not bad.any(), (
        f"{int(bad.sum())} of {len(norms)} columns have norm > c = {c!r} after projection, "
        f"e.g. column {int(np.argmax(bad))} with norm {norms[bad][0]!r}")


@invariant("max_norm_project")
@given(case=max_norm_cases())
def test_max_norm_inside_columns_untouched(impl, case):
    """Columns whose norm is already < c come back unchanged (to 1e-15 relative)."""
    W, c = case
    out = impl.call("max_norm_project", W, c)
    inside = _norms(W) < c
    assert_close(out[:, inside], W[:, inside], rtol=1e-15, atol=0,
                 name="columns inside the ball (must be untouched)")


@invariant("max_norm_project")
@given(case=max_norm_cases(subnormal=True))
def test_max_norm_keeps_subnormal_columns(impl, case):
    """A column of subnormal weights (below 2.2e-308, deep inside the ball) comes back
    exactly as given, like any column inside: not flushed to zero."""
    W, c = case
    out = impl.call("max_norm_project", W, c)
    tiny = np.all(np.abs(W) < np.finfo(np.float64).tiny, axis=0) & np.any(W != 0, axis=0)
    assert_close(out[:, tiny], W[:, tiny], rtol=0, atol=0,
                 name="columns of subnormal weights (must be untouched)")


@invariant("max_norm_project")
@given(case=max_norm_cases())
def test_max_norm_idempotent(impl, case):
    """Projecting twice gives the projection: P(P(W)) = P(W)."""
    W, c = case
    once = impl.call("max_norm_project", W, c)
    assert_close(impl.call("max_norm_project", once, c), once, rtol=1e-14, atol=0,
                 name="P(P(W)) vs P(W)")


@invariant("max_norm_project")
@given(case=max_norm_cases())
def test_max_norm_never_increases_a_norm(impl, case):
    """No column's norm grows under the projection."""
    W, c = case
    before, after = _norms(W), _norms(impl.call("max_norm_project", W, c))
    bad = after > before * (1 + 1e-12)
    assert not bad.any(), (
        f"column {int(np.argmax(bad))} grew from norm {before[bad][0]!r} to {after[bad][0]!r}")


@invariant("max_norm_project")
@given(case=max_norm_cases(), lr=st.floats(1e2, 1e6), seed=seeds())
def test_max_norm_bounded_under_huge_learning_rate(impl, case, lr, seed):
    """With a huge learning rate, projected gradient descent keeps the weights bounded.

    Plain descent would multiply W by about -lr each step; with the projection every
    column norm stays <= c at every one of 20 steps."""
    W, c = case
    target = np.random.default_rng(seed).standard_normal(W.shape)
    # A step on 1/2 ||W - target||^2 is W - lr (W - target) = (1 - lr) W + lr target.
    step = Feed(None, 0, scale=1 - lr, shift=lr * target)
    projected = impl.iterate("max_norm_project", (step.value((W,), W), c), 20, [step])
    for t, W in enumerate(projected, start=1):
        norms = _norms(W)
        bad = norms > c * (1 + 1e-12)
        assert not bad.any(), (
            f"step {t} (lr={lr:g}): column {int(np.argmax(bad))} has norm {norms[bad][0]!r} "
            f"> c = {c!r}")


# ================================================================================= dropout

INVERTED = ("dropout_forward", "dropout_backward")
VANILLA = ("vanilla_dropout_forward", "vanilla_dropout_backward")


def _ratio(out, x):
    return out / x  # x has no zeros (strategies), so out / x is the unit's multiplier


@invariant("dropout_forward", false_alarm_rate=FALSE_ALARM_RATE)
@given(x=tiled_activations(n_units=N_UNITS), p=distinguishable_keep_probabilities(),
       seed=seeds())
def test_dropout_train_expectation_is_identity(impl, x, p, seed):
    """Inverted dropout leaves the expected activation unchanged: E[out] = x at train time.

    The mean of out / x over N_UNITS units is 1 (z test with the Bernoulli std
    sqrt((1 - p) / p), alpha 1e-11)."""
    out, _ = impl.call("dropout_forward", x, p, "train", seed)
    stats.assert_mean(_ratio(out, x), 1.0, std=math.sqrt((1 - p) / p), alpha=ALPHA,
                      name=f"E[out / x] of inverted dropout at p={p:g}")


@invariant("dropout_forward", false_alarm_rate=FALSE_ALARM_RATE)
@given(x=tiled_activations(n_units=N_UNITS), p=distinguishable_keep_probabilities(),
       seed=seeds())
def test_dropout_keeps_fraction_p(impl, x, p, seed):
    """The mask keeps a fraction p of the units: p is the KEEP probability.

    The number of kept (non-zero) units is Binomial(n, p) (exact test, alpha 1e-11)."""
    out, _ = impl.call("dropout_forward", x, p, "train", seed)
    kept = out != 0
    stats.assert_proportion(int(kept.sum()), kept.size, p, alpha=ALPHA,
                            name=f"fraction of units kept by dropout at p={p:g}")


@invariant("dropout_forward", false_alarm_rate=FALSE_ALARM_RATE)
@given(x=tiled_activations(n_units=N_UNITS), p=distinguishable_keep_probabilities(),
       seed=seeds())
def test_dropout_masks_independent_across_examples(impl, x, p, seed):
    """Each example draws its own mask, independent of the other examples'.

    A unit is kept in both examples of a pair with probability p**2 (exact binomial test,
    alpha 1e-11), not p as with one mask shared by the batch."""
    out, _ = impl.call("dropout_forward", x, p, "train", seed)
    both = (out[0::2] != 0) & (out[1::2] != 0)
    stats.assert_proportion(int(both.sum()), both.size, p * p, alpha=ALPHA,
                            name=f"units kept in both examples of a pair at p={p:g}")


@invariant("dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds())
def test_dropout_train_values_zero_or_scaled(impl, x, p, seed):
    """At train time every unit is exactly 0 (dropped) or x / p (kept and rescaled).

    For arrays of 1 to 4 axes: a hidden layer, or the input layer itself."""
    out, _ = impl.call("dropout_forward", x, p, "train", seed)
    _zero_or(out, x / p, "inverted dropout", "x / p")


@invariant("vanilla_dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds())
def test_vanilla_train_values_zero_or_x(impl, x, p, seed):
    """At train time vanilla dropout leaves a kept unit as it is: every unit is 0 or x."""
    out, _ = impl.call("vanilla_dropout_forward", x, p, "train", seed)
    _zero_or(out, x, "vanilla dropout", "x")


def _zero_or(out, kept_value, what, label):
    bad = (out != 0) & ~np.isclose(out, kept_value, rtol=1e-12, atol=0)
    if bad.any():
        i = tuple(int(j) for j in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {out.size} units are neither 0 nor {label}; at index "
            f"{i} got {out[i]!r}, {label} = {kept_value[i]!r}")


@invariant("dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds())
def test_dropout_test_is_identity(impl, x, p, seed):
    """At test time inverted dropout returns x exactly: no mask and no scaling."""
    out, _ = impl.call("dropout_forward", x, p, "test", seed)
    assert_close(out, x, rtol=0, atol=0, name="inverted dropout at test time")


@invariant("vanilla_dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds())
def test_vanilla_test_scales_by_p(impl, x, p, seed):
    """At test time vanilla dropout returns p * x (all units, no mask)."""
    out, _ = impl.call("vanilla_dropout_forward", x, p, "test", seed)
    assert_close(out, p * x, rtol=1e-15, atol=0, name="vanilla dropout at test time")


@invariant("vanilla_dropout_forward", false_alarm_rate=FALSE_ALARM_RATE)
@given(x=tiled_activations(n_units=N_UNITS), p=distinguishable_keep_probabilities(),
       seed=seeds())
def test_vanilla_train_expectation_equals_test_output(impl, x, p, seed):
    """Vanilla dropout's test-time output equals its train-time expectation.

    The mean of out_train / x over N_UNITS units is out_test / x (z test, alpha 1e-11)."""
    test_out, _ = impl.call("vanilla_dropout_forward", x, p, "test", seed)
    scale = test_out / x
    assert np.allclose(scale, scale.flat[0], rtol=1e-12, atol=0), (
        f"vanilla dropout's test output is not one scaling of x: out / x ranges over "
        f"[{scale.min()!r}, {scale.max()!r}]")
    out, _ = impl.call("vanilla_dropout_forward", x, p, "train", seed)
    stats.assert_mean(_ratio(out, x), float(scale.flat[0]), std=math.sqrt(p * (1 - p)),
                      alpha=ALPHA, name=f"E[out_train / x] vs out_test / x at p={p:g}")


@invariant("vanilla_dropout_forward", false_alarm_rate=FALSE_ALARM_RATE)
@given(x=tiled_activations(n_units=N_UNITS), p=distinguishable_keep_probabilities(),
       seed=seeds())
def test_vanilla_keeps_fraction_p(impl, x, p, seed):
    """Vanilla dropout keeps Binomial(n, p) units: p is the KEEP probability."""
    out, _ = impl.call("vanilla_dropout_forward", x, p, "train", seed)
    kept = out != 0
    stats.assert_proportion(int(kept.sum()), kept.size, p, alpha=ALPHA,
                            name=f"fraction of units kept by vanilla dropout at p={p:g}")


@invariant("dropout_forward")
@given(x=dropout_inputs(), mode=st.sampled_from(["train", "test"]), seed=seeds())
def test_dropout_p_one_is_identity(impl, x, mode, seed):
    """With p = 1 (keep everything) inverted dropout is the identity in both modes."""
    out, _ = impl.call("dropout_forward", x, 1.0, mode, seed)
    assert_close(out, x, rtol=0, atol=0, name=f"inverted dropout with p = 1 ({mode})")


@invariant("vanilla_dropout_forward")
@given(x=dropout_inputs(), mode=st.sampled_from(["train", "test"]), seed=seeds())
def test_vanilla_p_one_is_identity(impl, x, mode, seed):
    """With p = 1 vanilla dropout is the identity in both modes."""
    out, _ = impl.call("vanilla_dropout_forward", x, 1.0, mode, seed)
    assert_close(out, x, rtol=0, atol=0, name=f"vanilla dropout with p = 1 ({mode})")


@invariant("dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds())
def test_dropout_same_seed_same_mask(impl, x, p, seed):
    """Two calls with the same seed drop exactly the same units (and give the same output)."""
    _same_seed("dropout_forward", impl, x, p, seed)


@invariant("vanilla_dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds())
def test_vanilla_same_seed_same_mask(impl, x, p, seed):
    """Two calls with the same seed drop exactly the same units."""
    _same_seed("vanilla_dropout_forward", impl, x, p, seed)


def _same_seed(name, impl, x, p, seed):
    first, _ = impl.call(name, x, p, "train", seed)
    second, _ = impl.call(name, x, p, "train", seed)
    assert_close(second, first, rtol=0, atol=0, name=f"{name} output, second call, same seed")


@invariant("dropout_forward")
@given(x=tiled_activations(n_units=1000), p=st.floats(0.05, 0.95), seed=seeds())
def test_dropout_seed_changes_mask(impl, x, p, seed):
    """Different seeds give different masks.

    Over 1000 units two independent masks agree with probability at most
    0.905**1000 < 1e-43."""
    first, _ = impl.call("dropout_forward", x, p, "train", seed)
    second, _ = impl.call("dropout_forward", x, p, "train", (seed + 1) % 2**32)
    assert not np.array_equal(first != 0, second != 0), (
        f"seeds {seed} and {(seed + 1) % 2**32} drop exactly the same units: the seed is ignored")


# ------------------------------------------------------------------------ dropout backward

@invariant("dropout_backward", "dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds(), data=st.data())
def test_dropout_backward_routes_through_kept_units(impl, x, p, seed, data):
    """Backward routes the gradient only through kept units, with the same 1/p scale.

    dx = dout * (out / x): scaled exactly as the forward scaled each unit; dropped units
    get exactly 0."""
    _routes("dropout", INVERTED, impl, x, p, seed, data)


@invariant("vanilla_dropout_backward", "vanilla_dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds(), data=st.data())
def test_vanilla_backward_routes_through_kept_units(impl, x, p, seed, data):
    """dx = dout * (out / x): through the kept units only, unscaled."""
    _routes("vanilla dropout", VANILLA, impl, x, p, seed, data)


def _routes(what, names, impl, x, p, seed, data):
    out, mask = impl.call(names[0], x, p, "train", seed)
    dout = data.draw(_like(x), label="dout")
    dx = impl.call(names[1], dout, mask, p, "train")
    assert_close(dx, dout * (out / x), rtol=1e-12, atol=0,
                 name=f"{what} dx vs dout * (out / x)")


def _like(x):
    return float_matrices(x.shape, 10.0, "dout")


@invariant("dropout_backward", "dropout_forward")
@given(x=dropout_inputs(max_dims=3, max_side=3, bound=10.0), p=keep_probabilities(), seed=seeds(),
       data=st.data())
def test_dropout_backward_matches_numeric(impl, x, p, seed, data):
    """With the mask fixed by the seed, dx matches central differences of the forward.

    The function differentiated is sum(dout * forward(x)), linear in x for a fixed mask."""
    _numeric("dropout", INVERTED, impl, x, p, seed, data)


@invariant("vanilla_dropout_backward", "vanilla_dropout_forward")
@given(x=dropout_inputs(max_dims=3, max_side=3, bound=10.0), p=keep_probabilities(), seed=seeds(),
       data=st.data())
def test_vanilla_backward_matches_numeric(impl, x, p, seed, data):
    """With the mask fixed by the seed, dx matches central differences of the forward."""
    _numeric("vanilla dropout", VANILLA, impl, x, p, seed, data)


def _numeric(what, names, impl, x, p, seed, data):
    dout = data.draw(_like(x), label="dout")
    for mode in ("train", "test"):  # both, every example: a bug of one mode is never missed
        out, mask = impl.call(names[0], x, p, mode, seed)
        dx = impl.call(names[1], dout, mask, p, mode)
        _gradcheck(impl.along(names[0], (x, p, mode, seed), 0, output=_dot_with(dout)), x, dx,
                   scale=float(np.sum(np.abs(dout * out))), name=f"{what} dx ({mode})")


@invariant("dropout_backward", "dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds(), data=st.data())
def test_dropout_backward_test_is_identity(impl, x, p, seed, data):
    """At test time the gradient of inverted dropout is dout itself."""
    dout = data.draw(_like(x), label="dout")
    _, mask = impl.call("dropout_forward", x, p, "test", seed)
    assert_close(impl.call("dropout_backward", dout, mask, p, "test"), dout, rtol=0, atol=0,
                 name="inverted dropout dx at test time")


@invariant("vanilla_dropout_backward", "vanilla_dropout_forward")
@given(x=dropout_inputs(), p=keep_probabilities(), seed=seeds(), data=st.data())
def test_vanilla_backward_test_scales_by_p(impl, x, p, seed, data):
    """At test time the gradient of vanilla dropout is p * dout."""
    dout = data.draw(_like(x), label="dout")
    _, mask = impl.call("vanilla_dropout_forward", x, p, "test", seed)
    assert_close(impl.call("vanilla_dropout_backward", dout, mask, p, "test"), p * dout,
                 rtol=1e-15, atol=0, name="vanilla dropout dx at test time")


# ============================================================================= DropConnect

def _dropconnect_effective(impl, W, p, seed):
    out, _ = impl.call("dropconnect_forward", np.eye(W.shape[0]), W, p, "train", seed)
    return out


@invariant("dropconnect_forward", false_alarm_rate=FALSE_ALARM_RATE)
@given(W=probe_weights(DC_SIDE), p=distinguishable_keep_probabilities(), seed=seeds())
def test_dropconnect_train_expectation(impl, W, p, seed):
    """DropConnect leaves the expected output unchanged: E[x @ W_dropped] = x @ W.

    Probed with x = I, the mean of out / W over the weights is 1 (z test, alpha 1e-11)."""
    out = _dropconnect_effective(impl, W, p, seed)
    stats.assert_mean(out / W, 1.0, std=math.sqrt((1 - p) / p), alpha=ALPHA,
                      name=f"E[effective weight / weight] of DropConnect at p={p:g}")


@invariant("dropconnect_forward", false_alarm_rate=FALSE_ALARM_RATE)
@given(W=probe_weights(DC_SIDE), p=distinguishable_keep_probabilities(), seed=seeds())
def test_dropconnect_keeps_fraction_p_of_weights(impl, W, p, seed):
    """The number of kept weights is Binomial(n, p) (exact binomial test, alpha 1e-11)."""
    kept = _dropconnect_effective(impl, W, p, seed) != 0
    stats.assert_proportion(int(kept.sum()), kept.size, p, alpha=ALPHA,
                            name=f"fraction of weights kept by DropConnect at p={p:g}")


@invariant("dropconnect_forward")
@given(W=weight_matrices(gap=1e-2), p=keep_probabilities(), seed=seeds())
def test_dropconnect_weights_zero_or_scaled(impl, W, p, seed):
    """Probed with x = I, every effective weight is exactly 0 or W / p."""
    _zero_or(_dropconnect_effective(impl, W, p, seed), W / p, "DropConnect", "W / p")


@invariant("dropconnect_forward")
@given(W=weight_matrices(), p=keep_probabilities(), seed=seeds(), data=st.data())
def test_dropconnect_test_is_plain_product(impl, W, p, seed, data):
    """At test time DropConnect is the plain layer x @ W (and at p = 1 so is train time)."""
    x = data.draw(_rows_for(W), label="x")
    for mode, keep in (("test", p), ("train", 1.0)):
        out, _ = impl.call("dropconnect_forward", x, W, keep, mode, seed)
        assert_close(out, x @ W, rtol=1e-12, atol=1e-12,
                     name=f"DropConnect ({mode}, p={keep:g}) vs x @ W")


def _rows_for(W):
    return sizes(4, 64).flatmap(lambda n: float_matrices((n, W.shape[0]), 10.0, "x"))


@invariant("dropconnect_forward")
@given(W=weight_matrices(), p=keep_probabilities(), seed=seeds(), data=st.data())
def test_dropconnect_same_seed_same_output(impl, W, p, seed, data):
    """Two calls with the same seed drop the same weights."""
    x = data.draw(_rows_for(W), label="x")
    first, _ = impl.call("dropconnect_forward", x, W, p, "train", seed)
    second, _ = impl.call("dropconnect_forward", x, W, p, "train", seed)
    assert_close(second, first, rtol=0, atol=0, name="DropConnect output, same seed")


@invariant("dropconnect_backward", "dropconnect_forward")
@given(W=weight_matrices(max_side=4), p=keep_probabilities(), seed=seeds(), data=st.data(),
       mode=st.sampled_from(["train", "test"]))
def test_dropconnect_backward_matches_numeric(impl, W, p, seed, data, mode):
    """With the mask fixed by the seed, dx and dW match central differences of the forward.

    The function differentiated is sum(dout * forward(x, W))."""
    x = data.draw(_rows_for(W), label="x")
    out, cache = impl.call("dropconnect_forward", x, W, p, mode, seed)
    dout = data.draw(_like(out), label="dout")
    dx, dW = impl.call("dropconnect_backward", dout, cache)
    forward = "dropconnect_forward"
    scale = float(np.sum(np.abs(dout)) * np.sum(np.abs(x)) * np.max(np.abs(W)) / p)
    _gradcheck(impl.along(forward, (x, W, p, mode, seed), 0, output=_dot_with(dout)),
               x, dx, scale=scale, name=f"DropConnect dx ({mode})")
    _gradcheck(impl.along(forward, (x, W, p, mode, seed), 1, output=_dot_with(dout)),
               W, dW, scale=scale, name=f"DropConnect dW ({mode})")
