"""Tests of the Keras 3 adapter (``nncheck/adapters/keras.py``).

Each declared conversion is checked against Keras itself and against the contract's
formula, so a wrong conversion (keep vs drop probability, momentum direction, a forgotten
eps or factor) fails here. The end-to-end test runs part of the suite in-process and asserts
the verdicts: the known Keras bugs must come out as failures, declared conventions as
deviations.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")  # as the adapter does: Keras must not pick TF
pytest.importorskip("jax")
pytest.importorskip("keras")

from nncheck import api  # noqa: E402
from nncheck.adapters import BUILTIN_ADAPTERS, load  # noqa: E402
from nncheck.adapters import keras as keras_adapter  # noqa: E402
from nncheck.errors import UsageError  # noqa: E402

# Keras on JAX computes means and batch normalization in float32 (see PRECISION_NOTE), so
# checks of those against float64 formulas use a float32-sized tolerance.
F32 = 1e-5


@pytest.fixture(scope="module")
def impl():
    return load("keras")


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def test_adapter_is_registered_and_loads(impl, keras):
    assert BUILTIN_ADAPTERS["keras"] == "nncheck.adapters.keras:load"
    assert impl.name == "keras"
    assert impl.version == keras.__version__ and impl.version.startswith("3.")
    assert keras_adapter.PRECISION_NOTE in impl.source and "JAX" in impl.source
    assert keras.backend.backend() == "jax"
    assert keras.config.floatx() == "float64"
    for name in ("crammer_singer_loss", "attribute_hinge_loss", "max_norm_project",
                 "dropout_forward", "batchnorm_running_update", "glorot_init"):
        assert impl.has(name)
    assert not impl.has("svm_loss")  # Keras has no Weston-Watkins hinge: not implemented


def test_unknown_convention_is_a_usage_error():
    with pytest.raises(UsageError, match="keras adapter does not know"):
        load("keras", {"dropout_p": "drop"})
    with pytest.raises(UsageError, match="float64"):
        load("keras", {"float64": "yes"})


def test_every_deviation_names_a_component_the_adapter_provides(impl):
    for deviation in impl.deviations:
        assert impl.has(deviation.component), deviation
        assert deviation.reason


# --------------------------------------------------------------------------- conversions

def test_dropout_rate_is_one_minus_keep_probability(impl, keras):
    x = np.ones((100, 200))
    out, mask = impl.call("dropout_forward", x, 0.8, "train", 5)
    kept = out != 0
    # 20000 units kept with probability 0.8: the kept fraction has sd 0.0028, so 0.05 is
    # 17 sd (false alarm far below 1e-9); swapping keep and drop would give 0.2.
    assert abs(kept.mean() - 0.8) < 0.05
    np.testing.assert_allclose(out[kept], 1 / 0.8, rtol=1e-12)  # inverted: divided by p
    raw = keras.layers.Dropout(rate=0.2, seed=5)(x, training=True)
    np.testing.assert_array_equal(out, np.asarray(raw))  # exactly Keras with rate = 1 - p
    dx = impl.call("dropout_backward", np.full_like(x, 3.0), mask, 0.8, "train")
    np.testing.assert_allclose(dx, np.where(kept, 3.0 / 0.8, 0.0), rtol=1e-12)
    same, _ = impl.call("dropout_forward", x, 0.8, "train", 5)
    np.testing.assert_array_equal(same, out)  # same seed, same mask
    np.testing.assert_array_equal(impl.call("dropout_forward", x, 0.8, "test", 5)[0], x)


def test_batchnorm_momentum_weights_the_old_value(impl):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, size=(16, 4))
    rm, rv = rng.normal(size=4), rng.uniform(0.5, 2.0, size=4)
    mean, var = impl.call("batchnorm_running_update", rm, rv, x, 0.9)
    np.testing.assert_allclose(mean, 0.9 * rm + 0.1 * x.mean(axis=0), rtol=F32)
    np.testing.assert_allclose(var, 0.9 * rv + 0.1 * x.var(axis=0), rtol=F32)  # biased var
    # A swapped direction (0.1 * old + 0.9 * batch) is far from this: the means differ by ~2.
    assert np.all(np.abs(mean - (0.1 * rm + 0.9 * x.mean(axis=0))) > 0.5)


def test_batchnorm_uses_the_contract_eps_not_the_keras_default(impl):
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 0.05, size=(8, 3))  # variance ~2.5e-3: eps 1e-3 vs 1e-5 shows
    gamma, beta = np.ones(3), np.zeros(3)
    for eps in (1e-5, 0.5):
        out, _ = impl.call("batchnorm_train", x, gamma, beta, eps)
        want = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
        np.testing.assert_allclose(out, want, rtol=F32, atol=1e-6)
    out, _ = impl.call("batchnorm_train", x, gamma, beta)  # the contract default 1e-5
    keras_default = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-3)
    assert np.max(np.abs(out - keras_default)) > 1e-2
    rm, rv = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(impl.call("batchnorm_inference", x, gamma, beta, rm, rv, 0.5),
                               (x - rm) / np.sqrt(rv + 0.5), rtol=F32, atol=1e-6)


def test_batchnorm_backward_is_the_gradient_of_sum_out_times_dout(impl):
    rng = np.random.default_rng(2)
    x, dout = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    gamma, beta = rng.uniform(0.5, 2, 3), rng.normal(size=3)
    out, cache = impl.call("batchnorm_train", x, gamma, beta, 1e-5)
    dx, dgamma, dbeta = impl.call("batchnorm_backward", dout, cache)
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-5)
    np.testing.assert_allclose(dbeta, dout.sum(axis=0), rtol=F32)
    np.testing.assert_allclose(dgamma, (dout * xhat).sum(axis=0), rtol=F32, atol=1e-6)
    n = len(x)
    want_dx = gamma / (n * np.sqrt(x.var(axis=0) + 1e-5)) * (
        n * dout - dout.sum(axis=0) - xhat * (dout * xhat).sum(axis=0))
    np.testing.assert_allclose(dx, want_dx, rtol=1e-4, atol=1e-5)


def test_spatial_batchnorm_normalizes_each_channel_of_nchw(impl):
    rng = np.random.default_rng(3)
    x = rng.normal(2.0, 3.0, size=(4, 3, 2, 5))
    out, _ = impl.call("spatial_batchnorm_train", x, np.ones(3), np.zeros(3), 1e-5)
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5), rtol=F32, atol=1e-5)


def test_l2_penalty_passes_half_of_reg(impl):
    W = np.arange(6.0).reshape(2, 3) - 2.5
    penalty, dW = impl.call("l2_penalty", W, 0.3)
    np.testing.assert_allclose(penalty, 0.5 * 0.3 * np.sum(W * W), rtol=1e-12)
    np.testing.assert_allclose(dW, 0.3 * W, rtol=1e-12)
    net, dnet = impl.call("elastic_net_penalty", W, 0.2, 0.3)  # Keras L1L2: no 1/2, as contract
    np.testing.assert_allclose(net, 0.2 * np.abs(W).sum() + 0.3 * np.sum(W * W), rtol=1e-12)
    np.testing.assert_allclose(dnet, 0.2 * np.sign(W) + 0.6 * W, rtol=1e-12)


def test_max_norm_works_on_columns_of_in_by_out(impl):
    W = np.array([[3.0, 0.1, 0.0],
                  [4.0, 0.2, 0.3]])  # column norms 5, 0.22, 0.3; row norms 5.0, 4.5
    P = impl.call("max_norm_project", W, 1.0)
    np.testing.assert_allclose(np.linalg.norm(P, axis=0), [1.0, np.hypot(0.1, 0.2), 0.3],
                               rtol=1e-6)
    np.testing.assert_allclose(P[:, 0], W[:, 0] / 5.0, rtol=1e-6)
    # the documented guard: columns inside are shrunk by n / (n + 1e-7), not left alone
    n = np.hypot(0.1, 0.2)
    np.testing.assert_allclose(P[:, 1], W[:, 1] * n / (n + 1e-7), rtol=1e-12)
    assert not np.array_equal(P[:, 1], W[:, 1])


def test_losses_scaled_to_the_contract_sums(impl):
    rng = np.random.default_rng(4)
    scores, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    Y01 = rng.integers(0, 2, size=(5, 3)).astype(float)
    Ypm = 2 * Y01 - 1
    loss, grad = impl.call("l2_regression_loss", scores, target)
    np.testing.assert_allclose(loss, np.mean(np.sum((scores - target) ** 2, axis=1)), rtol=F32)
    np.testing.assert_allclose(grad, 2 * (scores - target) / 5, rtol=F32)
    loss, grad = impl.call("l1_regression_loss", scores, target)
    np.testing.assert_allclose(loss, np.mean(np.sum(np.abs(scores - target), axis=1)), rtol=F32)
    loss, grad = impl.call("attribute_hinge_loss", scores, Ypm)
    np.testing.assert_allclose(loss, np.mean(np.sum(np.maximum(0, 1 - Ypm * scores), 1)),
                               rtol=F32)
    loss, grad = impl.call("logistic_loss", scores, Y01)
    per = np.logaddexp(0, scores) - Y01 * scores
    np.testing.assert_allclose(loss, np.mean(per.sum(axis=1)), rtol=F32)
    np.testing.assert_allclose(grad, (1 / (1 + np.exp(-scores)) - Y01) / 5, rtol=F32)
    y = np.array([0, 2, 1, 1, 0])
    loss, grad = impl.call("softmax_loss", scores, y)
    logp = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(loss, -np.mean(logp[np.arange(5), y]), rtol=1e-12)


# ------------------------------------------------------------------------ initialization

def test_seeded_initializer_reproduces_and_is_keras(impl, keras):
    W = impl.call("he_init", 30, 20, 7)
    np.testing.assert_array_equal(W, impl.call("he_init", 30, 20, 7))
    assert not np.array_equal(W, impl.call("he_init", 30, 20, 8))
    np.testing.assert_array_equal(W, np.asarray(keras.initializers.HeNormal(seed=7)((30, 20))))
    assert W.shape == (30, 20)  # Keras kernels are [in x out], as the contract
    big = impl.call("small_random_init", 3, 2, 2**32 - 1, 0.01)  # the largest contract seed
    assert big.shape == (3, 2)


def test_truncation_is_real_and_declared(impl):
    declared = {(d.component, d.invariant) for d in impl.deviations
                if d.kind == "expected-failure"}
    for comp, fan_in, fan_out, var in (("glorot_init", 60, 40, 2 / 100),
                                       ("he_init", 60, 40, 2 / 60),
                                       ("calibrated_init", 60, 40, 1 / 60)):
        assert (comp, f"{comp}_normal_shape") in declared
        W = impl.call(comp, fan_in, fan_out, 0)
        bound = 2 * np.sqrt(var) / 0.87962566103423978  # truncation point, 2 (corrected) std
        assert np.abs(W).max() <= bound * (1 + 1e-9)
    # The untruncated RandomNormal is not declared: it must pass the normal-shape test.
    assert ("small_random_init", "small_random_init_normal_shape") not in declared


# ----------------------------------------------------------------------- the known bugs

def test_categorical_hinge_bug_reaches_the_contract(impl):
    """Keras categorical_hinge takes its max over (1 - onehot) * scores, which is 0 at the
    target: when every other score is negative it uses 0 instead of their max."""
    scores, y = np.array([[-1.0, -2.0]]), np.array([0])
    loss, _ = impl.call("crammer_singer_loss", scores, y)
    assert loss == 2.0  # the contract: max(0, 1 + (-2) - (-1)) = 0
    # The counterexample the suite shrinks to: the margin holds by 2, yet the loss is 1.
    loss, dscores = impl.call("crammer_singer_loss", np.array([[0.0, -2.0]]), y)
    assert loss == 1.0 and dscores[0, 0] == -1.0
    # With a positive competitor the bug is invisible: max(0, 1 + 0.5 - 1) = 0.5.
    assert impl.call("crammer_singer_loss", np.array([[1.0, 0.5]]), y)[0] == 0.5


def test_hinge_batch_dependence_is_outside_the_contract_domain(keras):
    """Keras Hinge converts 0/1 labels to -1/+1 only if EVERY label of the batch is 0 or 1,
    so a row's loss depends on the other rows when a batch mixes the encodings. With the
    contract's labels (all in {-1, +1}) the decision is always consistent."""
    hinge = keras.losses.hinge
    row = np.array([[0.0, 1.0]])  # 0/1 labels
    scores = np.array([[0.5, 0.5]])
    alone = float(hinge(row, scores)[0])
    mixed = float(hinge(np.vstack([row, [[-1.0, 1.0]]]), np.vstack([scores, scores]))[0])
    assert alone != mixed  # the Keras behaviour DESIGN.md lists
    pm1 = np.array([[1.0, 1.0]])
    batch = np.array([[1.0, -1.0]])
    assert float(hinge(pm1, scores)[0]) == float(
        hinge(np.vstack([pm1, batch]), np.vstack([scores, scores]))[0])


# --------------------------------------------------------------------------- end to end

def test_end_to_end_verdicts():
    """A small in-process run: known bugs fail, declared conventions are deviations."""
    report = api.check("keras", components=["crammer_singer_loss", "max_norm_project",
                                            "softmax_loss", "glorot_init"],
                       profile="dev", seed=9, use_database=False)
    v = api.verdicts(report)
    assert report["implementation"]["name"] == "keras"
    # Keras categorical_hinge's bug: found unaided by the Crammer-Singer properties.
    assert v["crammer_singer_loss::crammer_singer_matches_reference"] == "failed"
    assert v["crammer_singer_loss::crammer_singer_averages_over_examples"] == "passed"
    # MaxNorm's guard: declared expected failures, reported as deviations.
    for name in ("max_norm_inside_columns_untouched", "max_norm_idempotent",
                 "max_norm_matches_reference"):
        assert v[f"max_norm_project::{name}"] == "deviation"
    assert v["max_norm_project::max_norm_columns_within_c"] == "passed"
    # from_logits=True is declared: the softmax invariants hold, reported as deviations.
    assert v["softmax_loss::softmax_matches_reference"] == "deviation"
    assert "failed" not in {s for k, s in v.items() if k.startswith("softmax_loss::")}
    # Truncated GlorotNormal: the shape test fails as declared; the variance holds.
    assert v["glorot_init::glorot_init_normal_shape"] == "deviation"
    assert v["glorot_init::glorot_init_variance"] == "passed"


def test_float64_force_is_a_declared_patch_in_its_own_process():
    """``--convention float64=force`` makes Keras keep float64 (a diagnostic). It patches
    Keras for the whole process, so it is tried in a child process."""
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from nncheck.adapters import load\n"
        "x = np.random.default_rng(0).normal(size=(7, 3))\n"
        "for mode in ('keras', 'force'):\n"
        "    impl = load('keras', {'float64': mode})\n"
        "    loss, _ = impl.call('l2_regression_loss', x, np.zeros_like(x))\n"
        "    print(mode, abs(loss - np.mean(np.sum(x * x, axis=1))) / loss, impl.source)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "KERAS_BACKEND": "jax"})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    stock_error, stock_source = lines["keras"].split(" ", 1)
    forced_error, forced_source = lines["force"].split(" ", 1)
    assert float(forced_error) < 1e-14  # float64 throughout
    assert float(stock_error) > 1e-12  # stock Keras: the mean over D is taken in float32
    assert "FORCED" in forced_source and "FORCED" not in stock_source
