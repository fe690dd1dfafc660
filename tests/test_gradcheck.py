"""Tests of the gradient-check engine (nncheck.gradcheck) itself.

The engine must accept right gradients (with and without kinks) and reject the wrong
gradients people actually write: a flipped sign, a forgotten 1/N, an error in one
coordinate only, a transposed gradient, and one that is off by a relative 1e-4. Every
random draw here comes from a fixed seed or from Hypothesis, so a failure replays.
"""

from __future__ import annotations

import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncheck import gradcheck as gc
from nncheck.cli import main
from nncheck.gradcheck import GradientMismatch
from nncheck.reference.losses import softmax_loss, softmax_loss_forward, svm_loss
from nncheck.strategies import arrays_at_kinks, kink_free_arrays, weights_by_column_norm

# ----------------------------------------------------------------- functions under check


def softmax_problem(n=32, c=10, seed=0):
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((n, c)) * 2
    y = rng.integers(0, c, n)
    _, dscores = softmax_loss(scores, y)
    return (lambda s: softmax_loss(s, y)[0]), scores, dscores


def square_problem(d=12, seed=0):
    """f(W) = sum(log cosh(A W B)) / N: W square, its gradient far from symmetric."""
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((20, d)), rng.standard_normal((d, 7))
    w = rng.standard_normal((d, d)) * 0.3

    def f(w):
        return np.sum(np.log(np.cosh(a @ w @ b))) / 20

    grad = a.T @ np.tanh(a @ w @ b) @ b.T / 20
    return f, w, grad


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (xhat, var, gamma, eps)


def batchnorm_backward(dout, cache):
    xhat, var, gamma, eps = cache
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / np.sqrt(var + eps)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def bn_inputs(n=16, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((n, d)) * 2 + 1, "gamma": rng.standard_normal(d),
            "beta": rng.standard_normal(d)}


def svm_at_kinks(n=24, c=6, seed=0):
    """Scores where a third of the rows have one margin exactly 0 and others 1e-9 from it."""
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((n, c))
    y = rng.integers(0, c, n)
    for i in range(0, n, 3):
        j = (y[i] + 1) % c
        scores[i, j] = scores[i, y[i]] - 1.0 + (1e-9 if i % 2 else 0.0)
    _, dscores = svm_loss(scores, y)
    return (lambda s: svm_loss(s, y)[0]), scores, dscores


# ------------------------------------------------------------------------ injected bugs

def sign_flip(g):
    return -g


def missing_one_over_n(g):
    return g * 32  # the softmax problem has N = 32


def one_coordinate(g):
    bad = g.copy()
    bad[5, 3] += 0.5 * abs(bad[5, 3]) + 1e-4
    return bad


def transposed(g):
    return g.T.reshape(g.shape)


def off_by_1e4(g):
    return g * (1 + 1e-4)


BUGS = [sign_flip, missing_one_over_n, one_coordinate, transposed, off_by_1e4]


# ------------------------------------------------------------------ accept right gradients

@pytest.mark.parametrize("mode", ["auto", "directional", "full"])
def test_accepts_right_softmax_gradient(mode):
    f, s, g = softmax_problem()
    result = gc.check_gradient(f, s, g, mode=mode)
    assert result.passed


@pytest.mark.parametrize("mode", ["directional", "full"])
def test_accepts_right_square_gradient(mode):
    f, w, g = square_problem()
    assert gc.check_gradient(f, w, g, mode=mode)


@pytest.mark.parametrize("mode", ["directional", "full"])
def test_accepts_right_batchnorm_layer(mode):
    result = gc.check_layer(batchnorm_forward, batchnorm_backward, bn_inputs(), mode=mode)
    assert [r.name for r in result.inputs] == ["x", "gamma", "beta"]
    assert result.passed


def test_old_signature_still_works():
    f, s, g = softmax_problem()
    gc.check_gradient(f, s, g, name="softmax dscores", rtol=1e-5, atol=1e-8)
    result = gc.check_gradient(f, s, g, name="softmax dscores", atol=1e-8)  # rtol: default
    assert (result.rtol, result.atol) == (gc.DEFAULT_RTOL, 1e-8)
    assert gc.tolerances(None, None, "complex") == (gc.COMPLEX_RTOL, gc.COMPLEX_ATOL)
    assert gc.DEFAULT_RTOL < 1e-4  # the documented threshold rejects a relative 1e-4


# -------------------------------------------------------------------- reject wrong ones

@pytest.mark.parametrize("mode", ["directional", "full"])
@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.__name__)
def test_rejects_wrong_softmax_gradient(bug, mode):
    f, s, g = softmax_problem()
    with pytest.raises(GradientMismatch) as info:
        gc.check_gradient(f, s, bug(g), mode=mode)
    assert isinstance(info.value, AssertionError)  # the plugin reports it as *failed*
    assert not info.value.result.passed


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.__name__)
def test_rejects_wrong_square_gradient(bug):
    f, w, g = square_problem()
    with pytest.raises(GradientMismatch):
        gc.check_gradient(f, w, bug(g), mode="directional")


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.__name__)
def test_directional_mode_catches_every_bug_for_every_seed(bug, seed):
    """Not luck: twenty different sets of directions all catch each bug."""
    f, s, g = softmax_problem(n=32, c=40, seed=seed)
    result = gc.check_gradient(f, s, bug(g), mode="directional", seed=seed,
                               raise_on_failure=False)
    assert not result.passed
    assert result.evaluations < 1000


@pytest.mark.parametrize("which", ["x", "gamma", "beta"])
@pytest.mark.parametrize("bug", [sign_flip, off_by_1e4, "one"],
                         ids=lambda b: getattr(b, "__name__", b))
def test_rejects_wrong_batchnorm_backward(which, bug):
    def backward(dout, cache):
        grads = dict(zip(["x", "gamma", "beta"], batchnorm_backward(dout, cache), strict=True))
        g = grads[which].copy()
        if bug == "one":
            g[(2, 1)[: g.ndim]] += 1e-3 + 0.5 * abs(g[(2, 1)[: g.ndim]])
        else:
            g = bug(g)
        grads[which] = g
        return grads

    with pytest.raises(GradientMismatch) as info:
        gc.check_layer(batchnorm_forward, backward, bn_inputs(), mode="directional")
    result = info.value.result
    bad = {r.name for r in result.inputs if r.bad}
    assert bad == {which}


def test_missing_mean_path_in_batchnorm_backward_is_caught():
    def backward(dout, cache):
        xhat, var, gamma, eps = cache
        dx = (dout * gamma - (dout * gamma).mean(axis=0)) / np.sqrt(var + eps)  # no var path
        return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)

    with pytest.raises(GradientMismatch, match="input 'x'"):
        gc.check_layer(batchnorm_forward, backward, bn_inputs(n=64, d=8))


# ---------------------------------------------------------------------------- localisation

@pytest.mark.parametrize("index", [(0, 0), (5, 3), (31, 39), (17, 22)])
def test_localisation_names_the_wrong_coordinate(index):
    f, s, g = softmax_problem(n=32, c=40, seed=3)
    bad = g.copy()
    bad[index] *= -1.5
    with pytest.raises(GradientMismatch) as info:
        gc.check_gradient(f, s, bad, mode="directional")
    rep = info.value.result.inputs[0]
    assert [e.index for e in rep.bad] == [index]
    assert rep.count_exact
    el = rep.bad[0]
    assert el.analytic == pytest.approx(bad[index])
    assert el.numeric == pytest.approx(g[index], rel=1e-4)
    assert el.abs_error == pytest.approx(abs(bad[index] - g[index]), rel=1e-5)
    message = str(info.value)
    assert f"element {index}" in message and "1 of 1280 element(s) disagree" in message
    assert "kink crossed: no" in message and "rel error" in message and " h " in message


def test_localisation_in_layer_form_names_input_and_coordinate():
    inputs = bn_inputs(n=32, d=12)

    def backward(dout, cache):
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        dx = dx.copy()
        dx[20, 9] = 0.0  # forgot one element
        return dx, dgamma, dbeta

    with pytest.raises(GradientMismatch) as info:
        gc.check_layer(batchnorm_forward, backward, inputs, mode="directional")
    rep = info.value.result.inputs[0]
    assert rep.name == "x" and [e.index for e in rep.bad] == [(20, 9)]


def test_full_mode_counts_every_disagreeing_element():
    f, s, g = softmax_problem(n=4, c=5)
    bad = g.copy()
    bad[1] *= 2  # one whole row (5 elements) wrong
    with pytest.raises(GradientMismatch, match="5 of 20 element"):
        gc.check_gradient(f, s, bad, mode="full")


# ----------------------------------------------------------------------------------- kinks

@pytest.mark.parametrize("mode", ["directional", "full"])
def test_right_svm_gradient_at_kinks_passes_and_reports_kinks(mode):
    f, s, g = svm_at_kinks()
    result = gc.check_gradient(f, s, g, mode=mode)
    if mode == "full":
        assert len(result.kinks) >= 8
        assert all(k.passed and k.one_sided is not None for k in result.kinks)
        assert "kink crossed: yes" in result.message()


def test_naive_central_differences_would_fail_at_those_kinks():
    """The kink handling is what makes the right gradient pass (not a loose tolerance)."""
    f, s, g = svm_at_kinks()
    numeric = gc.numeric_gradient(f, s)
    assert np.max(gc.rel_error(g, numeric)) > 1e-2


@pytest.mark.parametrize("mode", ["directional", "full"])
@pytest.mark.parametrize("bug", [sign_flip, off_by_1e4, transposed], ids=lambda b: b.__name__)
def test_wrong_svm_gradient_at_kinks_is_rejected(bug, mode):
    f, s, g = svm_at_kinks()
    with pytest.raises(GradientMismatch):
        gc.check_gradient(f, s, bug(g), mode=mode)


def test_subgradient_outside_the_one_sided_slopes_fails_as_kink():
    x = np.array([0.0, 1.5, -2.0, 0.0])

    def f(w):
        return np.sum(np.abs(w))

    gc.check_gradient(f, x, np.sign(x), mode="full")  # 0 at |w|'s kink: in [-1, 1]
    with pytest.raises(GradientMismatch, match="kink crossed: yes") as info:
        gc.check_gradient(f, x, np.where(x == 0, 2.0, np.sign(x)), mode="full")
    assert [e.index for e in info.value.result.inputs[0].bad] == [(0,), (3,)]


@pytest.mark.parametrize("mode", ["directional", "full"])
def test_relu_layer_at_and_near_zero(mode):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 12))
    x[0, :4] = 0.0
    x[1, :4] = 1e-9

    def forward(x):
        return np.maximum(x, 0.0)

    assert gc.check_layer(forward, lambda d: d * (x > 0), {"x": x}, mode=mode)
    with pytest.raises(GradientMismatch):
        gc.check_layer(forward, lambda d: d * (x < 0), {"x": x}, mode=mode)


def test_max_norm_projection_at_the_boundary():
    """max-norm: columns rescaled onto the sphere of radius c; one column sits on it."""
    rng = np.random.default_rng(2)
    w = rng.standard_normal((5, 4))
    c = 1.5
    w[:, 0] *= c / np.linalg.norm(w[:, 0])
    w[:, 1] *= 3 / np.linalg.norm(w[:, 1])
    w[:, 2] *= 0.5 / np.linalg.norm(w[:, 2])

    def forward(w):
        return w * np.minimum(1.0, c / np.linalg.norm(w, axis=0))

    def backward(dout):
        norms = np.linalg.norm(w, axis=0)
        outside = norms > c
        scale = np.where(outside, c / norms, 1.0)
        radial = np.where(outside, c * np.sum(dout * w, axis=0) / norms**3, 0.0)
        return dout * scale - w * radial

    assert gc.check_layer(forward, backward, {"W": w}, mode="full")
    with pytest.raises(GradientMismatch):
        gc.check_layer(forward, lambda d: d * np.minimum(1.0, c / np.linalg.norm(w, axis=0)),
                       {"W": w}, mode="full")


# ---------------------------------------------------------------------------- complex step

def analytic_softmax(y):
    def f(s):
        m = np.max(s.real, axis=1, keepdims=True)
        e = np.exp(s - m)
        return np.mean(np.log(np.sum(e, axis=1)) + m[:, 0] - s[np.arange(len(y)), y])
    return f


@pytest.mark.parametrize("mode", ["complex", "complex-full"])
def test_complex_step_reaches_1e_12(mode):
    _, s, g = softmax_problem(n=16, c=8)
    y = np.random.default_rng(0).integers(0, 10, 32)[:16] % 8
    _, g = softmax_loss(s[:16], y)
    result = gc.check_gradient(analytic_softmax(y), s[:16], g, mode=mode)
    assert result.max_rel_error < 1e-12
    full = gc.numeric_gradient(analytic_softmax(y), s[:16], method="complex")
    assert np.max(gc.rel_error(g, full)) < 1e-12


def test_complex_step_rejects_off_by_1e_8():
    """No cancellation error, so even a relative 1e-8 error is visible."""
    _, s, _ = softmax_problem(n=16, c=8)
    y = np.arange(16) % 8
    _, g = softmax_loss(s[:16], y)
    with pytest.raises(GradientMismatch):
        gc.check_gradient(analytic_softmax(y), s[:16], g * (1 + 1e-8), mode="complex")


def test_complex_step_refuses_functions_that_drop_the_imaginary_part():
    f, s, g = softmax_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(gc.ComplexStepUnsupported, match="not analytic"):
            gc.check_gradient(f, s, g, mode="complex")


# ------------------------------------------------------------------------------- Taylor

def test_taylor_slope_two_for_right_gradient():
    f, s, g = softmax_problem()
    result = gc.taylor_test(f, s, g)
    assert result.passed and 1.8 < result.slope < 2.2


@pytest.mark.parametrize("bug", BUGS, ids=lambda b: b.__name__)
def test_taylor_slope_one_for_wrong_gradient(bug):
    f, s, g = softmax_problem()
    result = gc.taylor_test(f, s, bug(g), raise_on_failure=False)
    assert not result.passed and 0.8 < result.slope < 1.2
    with pytest.raises(GradientMismatch, match="slope"):
        gc.taylor_test(f, s, bug(g))


def test_taylor_in_several_inputs_and_on_piecewise_linear_loss():
    inputs = bn_inputs()
    v = np.random.default_rng(5).standard_normal((16, 6))
    out, cache = batchnorm_forward(*inputs.values())
    grads = batchnorm_backward(v, cache)

    def f(x, gamma, beta):
        return np.sum(v * batchnorm_forward(x, gamma, beta)[0])

    assert gc.taylor_test(f, inputs, grads).slope > 1.8
    wrong = (grads[0], grads[1] * 1.01, grads[2])
    assert gc.taylor_test(f, inputs, wrong, raise_on_failure=False).slope < 1.2
    rng = np.random.default_rng(4)
    s, y = rng.standard_normal((24, 6)), rng.integers(0, 6, 24)
    _, gs = svm_loss(s, y)

    def fs(s):
        return svm_loss(s, y)[0]

    result = gc.taylor_test(fs, s, gs)  # linear pieces: remainder at rounding level or
    assert result.passed and "kink" in result.note or "rounding" in result.note  # kinks at big t
    assert not gc.taylor_test(fs, s, -gs, raise_on_failure=False)
    fk, sk, gk = svm_at_kinks()  # exactly at a kink no gradient exists: slope 1 is the truth
    assert gc.taylor_test(fk, sk, gk, raise_on_failure=False).slope < 1.2


# -------------------------------------------------------------------- three-way agreement

def test_three_way_all_agree_and_diagnoses_each_side():
    _, s, _ = softmax_problem()
    y = np.arange(32) % 10
    loss, g = softmax_loss(s, y)

    def own(scores):
        return softmax_loss(scores, y)[0]

    def ref(scores):
        return softmax_loss_forward(scores, y)

    assert gc.check_three_way(own, g, ref, {"scores": s}).diagnosis == "all three agree"
    backward_wrong = gc.check_three_way(own, -g, ref, {"scores": s}, raise_on_failure=False)
    assert "backward pass is wrong" in backward_wrong.diagnosis

    def own_forward_wrong(scores):  # sums instead of averaging, backward still right
        return softmax_loss(scores, y)[0] * len(y)

    forward_wrong = gc.check_three_way(own_forward_wrong, g, ref, {"scores": s},
                                       raise_on_failure=False)
    assert "forward pass is wrong" in forward_wrong.diagnosis
    self_consistent = gc.check_three_way(own_forward_wrong, g * len(y), ref, {"scores": s},
                                         raise_on_failure=False)
    assert "different function" in self_consistent.diagnosis
    with pytest.raises(GradientMismatch, match="backward pass is wrong"):
        gc.check_three_way(own, -g, ref, {"scores": s})


def test_three_way_layer_form_with_upstream():
    inputs = bn_inputs()
    v = np.random.default_rng(7).standard_normal((16, 6))
    _, cache = batchnorm_forward(*inputs.values())

    def ref(x, gamma, beta):
        mu = anp.mean(x, axis=0)
        var = anp.mean((x - mu) ** 2, axis=0)
        return gamma * (x - mu) / anp.sqrt(var + 1e-5) + beta

    def own(*a):
        return batchnorm_forward(*a)[0]

    assert gc.check_three_way(own, batchnorm_backward(v, cache), ref, inputs, upstream=v)


# ------------------------------------------------------------------ randomness and dtype

def dropout_forward(x, p=0.5):
    mask = (np.random.rand(*x.shape) < p) / p  # noqa: NPY002 (a course-style forward)
    return x * mask


def test_seed_pins_randomness_in_the_forward():
    x = np.random.default_rng(0).standard_normal((8, 9))
    np.random.seed(42)  # noqa: NPY002
    mask = (np.random.rand(*x.shape) < 0.5) / 0.5  # noqa: NPY002 (what seed 42 draws)
    np.random.seed(7)  # noqa: NPY002
    before = np.random.get_state()  # noqa: NPY002
    for mode in ("directional", "full"):
        assert gc.check_layer(dropout_forward, lambda d: d * mask, {"x": x}, seed=42, mode=mode)
    after = np.random.get_state()  # noqa: NPY002
    assert np.array_equal(before[1], after[1]) and before[2] == after[2]  # state restored
    for mode in ("directional", "full"):  # without pinning, every evaluation redraws
        with pytest.raises(GradientMismatch, match="INCONCLUSIVE: the forward is too noisy"):
            gc.check_layer(dropout_forward, lambda d: d * mask, {"x": x}, mode=mode)


def test_float32_inputs_are_upcast_with_a_warning():
    f, s, _ = softmax_problem()
    s32 = s.astype(np.float32)
    y = np.arange(32) % 10
    _, g = softmax_loss(s32.astype(np.float64), y)
    with pytest.warns(gc.PrecisionWarning, match="float32"):
        assert gc.check_gradient(lambda s: softmax_loss(s, y)[0], s32, g)


def test_malformed_gradients_fail_clearly():
    f, s, g = softmax_problem()
    with pytest.raises(GradientMismatch, match="shape"):
        gc.check_gradient(f, s, g[:, :-1])
    nan = g.copy()
    nan[2, 2] = np.nan
    with pytest.raises(GradientMismatch, match="non-finite element"):
        gc.check_gradient(f, s, nan)
    with pytest.raises(TypeError, match="scalar form needs one number"):
        gc.check_gradient(lambda s: s * 2, s, g)
    with pytest.raises(ValueError, match="mode must be"):
        gc.check_gradient(f, s, g, mode="fast")


def test_step_size_scales_with_dtype_and_magnitude():
    h = gc.step_size(np.array([0.0, 1.0, -1e3]))
    assert h[0] == h[1] == pytest.approx(np.finfo(np.float64).eps ** (1 / 3))
    assert h[2] == pytest.approx(1e3 * h[0])
    assert gc.step_size(1.0, np.float32) > 100 * gc.step_size(1.0)


def test_rel_error_is_safe_at_zero():
    assert gc.rel_error(0.0, 0.0) == 0.0
    assert gc.rel_error(1.0, -1.0) == 2.0


# --------------------------------------------------- no false alarms on random problems

@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), d=st.integers(1, 40),
       scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_random_smooth_problems_pass_when_right_and_fail_when_off(seed, n, d, scale):
    """tanh-of-affine losses at magnitudes from 1e-3 to 1e3: no false alarm in any mode, and
    full mode misses no resolvable relative 1e-4 error in one element."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, d))
    x = rng.standard_normal(d) * scale

    a /= np.sqrt(d)  # keeps tanh out of saturation, where f ~ const and no numeric resolves g

    def f(x):
        return np.sum(np.tanh(a @ x / scale)) * scale**2

    grad = a.T @ (1 - np.tanh(a @ x / scale) ** 2) * scale
    for mode in ("directional", "full"):
        gc.check_gradient(f, x, grad, seed=seed, mode=mode)
    big = np.argmax(np.abs(grad))
    # Reject a relative 1e-4 whenever finite differences can resolve it: atol does not excuse
    # it, and rounding of f (~eps |f| / h) stays well below it.
    resolvable = abs(grad[big]) * max(abs(x[big]), 1.0) * 1e4 > abs(f(x))
    if 1e-4 * abs(grad[big]) > 10 * gc.DEFAULT_ATOL and resolvable:
        bad = grad.copy()
        bad[big] *= 1 + 1e-4
        with pytest.raises(GradientMismatch):  # (directions dilute one element's error)
            gc.check_gradient(f, x, bad, seed=seed, mode="full")


# ---------------------------------------------------------------- kink strategies + engine

def relu_forward(x):
    return np.maximum(x, 0.0)


@settings(max_examples=25, deadline=None)
@given(x=kink_free_arrays((3, 5), bound=5.0, gap=1e-3))
def test_kink_free_relu_checks_without_kinks(x):
    assert np.all(np.abs(x) > 1e-3)
    result = gc.check_layer(relu_forward, lambda d: d * (x > 0), {"x": x}, mode="full")
    assert result.passed and not result.kinks


@settings(max_examples=25, deadline=None)
@given(x=arrays_at_kinks((3, 5), bound=5.0), seed=st.integers(0, 2**32 - 1))
def test_relu_subgradient_exactly_at_kinks(x, seed):
    """ReLU's documented subgradient 0 at x = 0 lies between the one-sided slopes 0 and 1;
    a subgradient of 2 does not."""
    assert np.any(x == 0)
    for mode in ("full", "directional"):
        gc.check_layer(relu_forward, lambda d: d * (x > 0), {"x": x}, mode=mode, seed=seed)
    with pytest.raises(GradientMismatch, match="kink crossed: yes"):
        gc.check_layer(relu_forward, lambda d: d * np.where(x == 0, 2.0, x > 0), {"x": x},
                       mode="full", seed=seed)


@settings(max_examples=20, deadline=None)
@given(w=weights_by_column_norm(on_sphere=True), away=weights_by_column_norm())
def test_max_norm_projection_on_and_off_the_sphere(w, away):
    c = 3.0

    def project(w):
        return w * np.minimum(1.0, c / np.linalg.norm(w, axis=0))

    def backward_for(w):
        def backward(dout):
            norms = np.linalg.norm(w, axis=0)
            outside = norms > c
            radial = np.where(outside, c * np.sum(dout * w, axis=0) / norms**3, 0.0)
            return dout * np.where(outside, c / norms, 1.0) - w * radial
        return backward

    assert np.all(np.abs(np.linalg.norm(away, axis=0) / c - 1) > 1e-3 * 0.99)
    assert not gc.check_layer(project, backward_for(away), {"W": away}, mode="full").kinks
    assert np.any(np.isclose(np.linalg.norm(w, axis=0), c, rtol=1e-12))
    gc.check_layer(project, backward_for(w), {"W": w}, mode="full")  # kink: between slopes


# -------------------------------------------------------------------------------- the CLI

MODULE = '''
import numpy as np
def softmax(scores, y):
    n = scores.shape[0]
    e = np.exp(scores - scores.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    d = p.copy()
    d[np.arange(n), y] -= 1
    return -np.log(p[np.arange(n), y]).mean(), d / n
def softmax_no_mean(scores, y):
    loss, d = softmax(scores, y)
    return loss, d * scores.shape[0]
def affine_forward(x, w, b):
    return x @ w + b, (x, w)
def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(0)
def affine_backward_db_mean(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.mean(0)
def raises(x):
    raise ValueError("boom")
'''


@pytest.fixture
def module_file(tmp_path):
    path = tmp_path / "mylayers.py"
    path.write_text(MODULE)
    return str(path)


def test_cli_gradcheck_exit_codes(module_file, capsys):
    y = '{"y": [0, 2, 1, 0, 2, 1]}'
    assert main(["gradcheck", f"{module_file}:softmax", "--shape", "6,3", "--kwargs", y,
                 "--taylor"]) == 0
    assert "passed" in capsys.readouterr().out
    assert main(["gradcheck", f"{module_file}:softmax_no_mean", "--shape", "6,3",
                 "--kwargs", y]) == 1
    assert "FAILED" in capsys.readouterr().out
    layer = ["--backward", f"{module_file}:affine_backward", "--shape", "x=4,3", "--shape",
             "w=3,5", "--shape", "b=5", "--seed", "3"]
    assert main(["gradcheck", f"{module_file}:affine_forward", *layer]) == 0
    layer[1] = f"{module_file}:affine_backward_db_mean"
    assert main(["gradcheck", f"{module_file}:affine_forward", *layer]) == 1
    assert "input 'b'" in capsys.readouterr().out
    assert main(["gradcheck", f"{module_file}:raises", "--shape", "3"]) == 1
    assert "ValueError: boom" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["{f}:nope", "--shape", "3"],
    ["{f}:softmax", "--shape", "3,a"],
    ["{f}:softmax", "--shape", "0"],
    ["no_such_module_xyz:f", "--shape", "3"],
    ["{f}:softmax", "--shape", "3", "--rtol", "1e-3"],
    ["{f}:softmax", "--shape", "3", "--kwargs", "{not json"],
    ["{f}", "--shape", "3"],
    ["{f}:softmax"],
])
def test_cli_gradcheck_usage_errors_are_one_line(module_file, capsys, argv):
    argv = [a.replace("{f}", module_file) for a in argv]
    assert main(["gradcheck", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("nncheck") and "\n" not in err


# ------------------------------------------------------------- points sent together

class _CountingForward:
    """softmax_loss's loss as f(scores); ``many`` answers several points at once."""

    def __init__(self, y, fail_at: int | None = None, batches: bool = True):
        self.y, self.single, self.batched, self.fail_at = y, 0, [], fail_at
        if not batches:
            self.many = None

    def __call__(self, s):
        self.single += 1
        return softmax_loss(s, self.y)[0]

    def many(self, points):
        self.batched.append(len(points))
        if self.fail_at is not None and len(self.batched) == self.fail_at:
            raise RuntimeError("the batch failed")
        return [softmax_loss(s, self.y)[0] for (s,) in points]


@pytest.mark.parametrize("mode", ["full", "directional"])
def test_known_points_go_in_one_batch_and_change_nothing(mode):
    rng = np.random.default_rng(3)
    scores, y = rng.normal(size=(3, 4)), rng.integers(0, 4, 3)
    _, grad = softmax_loss(scores, y)
    together, alone = _CountingForward(y), _CountingForward(y, batches=False)
    a = gc.check_gradient(together, scores, grad, mode=mode)
    b = gc.check_gradient(alone, scores, grad, mode=mode)
    assert a.passed and b.passed
    assert a.message() == b.message() and a.evaluations == b.evaluations
    first_opinions = 2 * (scores.size if mode == "full" else gc.DEFAULT_DIRECTIONS)
    assert together.batched == [first_opinions]
    assert together.single == alone.single - first_opinions


def test_a_wrong_gradient_is_still_found_and_localised_with_batches():
    rng = np.random.default_rng(4)
    scores, y = rng.normal(size=(6, 5)), rng.integers(0, 5, 6)
    _, grad = softmax_loss(scores, y)
    grad[2, 3] += 0.05
    f = _CountingForward(y)
    with pytest.raises(GradientMismatch, match=r"\[2, 3\]|\(2, 3\)"):
        gc.check_gradient(f, scores, grad, mode="directional")
    assert f.batched


def test_a_failing_batch_is_replayed_point_by_point():
    rng = np.random.default_rng(5)
    scores, y = rng.normal(size=(3, 4)), rng.integers(0, 4, 3)
    _, grad = softmax_loss(scores, y)
    f = _CountingForward(y, fail_at=1)
    assert gc.check_gradient(f, scores, grad, mode="full").passed
    assert f.batched == [2 * scores.size] and f.single >= 2 * scores.size


def test_a_seeded_check_evaluates_every_point_on_its_own():
    rng = np.random.default_rng(6)
    scores, y = rng.normal(size=(3, 4)), rng.integers(0, 4, 3)
    _, grad = softmax_loss(scores, y)
    f = _CountingForward(y)
    assert gc.check_gradient(f, scores, grad, mode="full", seed=1).passed
    assert f.batched == []


def test_implementation_along_answers_points_with_call_many():
    from nncheck.adapters import load

    impl = load("reference")
    rng = np.random.default_rng(7)
    scores, y = rng.normal(size=(4, 3)), rng.integers(0, 3, 4)
    f = impl.along("softmax_loss", (scores, y), 0)
    assert f(scores) == softmax_loss(scores, y)[0]
    moved = scores + 0.5
    assert f.many([[scores], [moved]]) == [softmax_loss(scores, y)[0], softmax_loss(moved, y)[0]]
    gc.check_gradient(f, scores, softmax_loss(scores, y)[1])
