"""Tests of the JAX / Flax / optax adapter (``--impl jax``, nncheck/adapters/jax.py).

Direct calls check that every declared convention mapping is the right one (Flax's dropout
rate is the DROP probability, Flax's BatchNorm momentum weights the old value, JAX's
"normal" initializers are truncated, optax does not reduce its losses, optax's decay is
lambda * w), that seeded initializers reproduce JAX's own draws, and that the adapter does
not map the library's real disagreements away. A short end-to-end run of the suite asserts
the verdicts of a few components.
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
flax = pytest.importorskip("flax")
optax = pytest.importorskip("optax")

from nncheck.adapters import load  # noqa: E402
from nncheck.api import check, verdicts  # noqa: E402
from nncheck.errors import UsageError  # noqa: E402

# 2 * Phi(-2): the share of a normal beyond 2 standard deviations; 0.8796 = the std of a
# standard normal truncated at +-2, which JAX divides by to keep the promised variance.
TAIL = 0.0455
TRUNCATED_STD = 0.87962566103423978


@pytest.fixture(scope="module")
def jx():
    return load("jax")


@pytest.fixture(scope="module")
def ref():
    return load("reference")


def test_adapter_loads_with_float64_and_versions(jx):
    assert jx.name == "jax"
    assert jax.config.jax_enable_x64  # switched on by the adapter, and said so:
    assert "jax_enable_x64" in jx.version and "jax_enable_x64" in jx.source
    assert jx.version.startswith(jax.__version__)
    assert f"flax {flax.__version__}" in jx.version and f"optax {optax.__version__}" in jx.version
    assert {"softmax_loss", "crammer_singer_loss", "logistic_loss", "attribute_hinge_loss",
            "l2_regression_loss", "batchnorm_train", "batchnorm_backward",
            "batchnorm_running_update", "batchnorm_inference", "spatial_batchnorm_train",
            "dropout_forward", "dropout_backward", "l2_penalty", "total_objective",
            "glorot_init", "he_init", "calibrated_init"} <= set(jx.functions)
    # Not in JAX/Flax/optax: not implemented rather than written by the adapter.
    assert {"svm_loss", "l1_penalty", "sparse_init", "batchnorm_backward_alt",
            "mean_subtraction"}.isdisjoint(jx.functions)
    out = jx.call("softmax_loss", np.zeros((2, 3)), np.array([0, 1]))
    assert isinstance(out[1], np.ndarray) and out[1].dtype == np.float64


def test_conventions_are_validated():
    with pytest.raises(UsageError, match="does not know convention"):
        load("jax", {"colour": "red"})
    with pytest.raises(UsageError, match="init takes library or untruncated"):
        load("jax", {"init": "uniform"})


def test_dropout_rate_is_the_drop_probability_and_mapped(jx):
    from flax import linen as nn

    x = np.ones((200, 100))
    out, mask = jx.call("dropout_forward", x, 0.8, "train", 5)
    kept = (out != 0).mean()
    assert 0.75 < kept < 0.85  # 20000 Bernoulli(0.8) draws: > 10 sigma from either bound
    assert set(np.unique(out)) == {0.0, 1.0 / (1.0 - (1.0 - 0.8))}  # inverted: kept / p
    np.testing.assert_array_equal(jx.call("dropout_backward", np.ones_like(x), mask, 0.8,
                                          "train"), out)
    np.testing.assert_array_equal(jx.call("dropout_forward", x, 0.8, "test", 5)[0], x)
    # Flax itself, given the contract's p unconverted, would keep only 20 %:
    raw = nn.Dropout(rate=0.8).apply({}, x, deterministic=False,
                                     rngs={"dropout": jax.random.key(5)})
    assert 0.15 < float((np.asarray(raw) != 0).mean()) < 0.25
    assert {"dropout_forward", "dropout_backward"} <= {d.component for d in jx.deviations
                                                        if "rate" in d.reason}


def test_batchnorm_momentum_weights_the_old_value(jx, ref):
    """Flax's momentum has the contract's direction: passed through, nothing declared."""
    from flax import linen as nn

    rng = np.random.default_rng(2)
    x = rng.normal(size=(7, 4)) * 3 + 1
    rm, rv = rng.normal(size=4), rng.uniform(1, 2, size=4)
    mean, var = jx.call("batchnorm_running_update", rm, rv, x, 0.8)
    np.testing.assert_allclose(mean, 0.8 * rm + 0.2 * x.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(var, 0.8 * rv + 0.2 * x.var(axis=0), rtol=1e-13)  # ddof=0
    # the default differs (Flax 0.99, contract 0.9): the adapter's default is the contract's
    assert nn.BatchNorm().momentum == 0.99
    np.testing.assert_allclose(jx.call("batchnorm_running_update", rm, rv, x)[0],
                               ref.call("batchnorm_running_update", rm, rv, x)[0], rtol=1e-13)
    assert "batchnorm_running_update" not in {d.component for d in jx.deviations}


def test_batchnorm_train_backward_and_inference_match_reference(jx, ref):
    rng = np.random.default_rng(3)
    x, dout = rng.normal(size=(6, 3)) * 2 - 1, rng.normal(size=(6, 3))
    gamma, beta = rng.uniform(0.5, 2, size=3), rng.normal(size=3)
    out, cache = jx.call("batchnorm_train", x, gamma, beta, 1e-3)
    want, ref_cache = ref.call("batchnorm_train", x, gamma, beta, 1e-3)
    np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-14)
    for got, exp in zip(jx.call("batchnorm_backward", dout, cache),
                        ref.call("batchnorm_backward", dout, ref_cache), strict=True):
        np.testing.assert_allclose(got, exp, rtol=1e-11, atol=1e-13)
    rm, rv = rng.normal(size=3), rng.uniform(1, 2, size=3)
    np.testing.assert_allclose(jx.call("batchnorm_inference", x, gamma, beta, rm, rv),
                               ref.call("batchnorm_inference", x, gamma, beta, rm, rv),
                               rtol=1e-12, atol=1e-14)
    images = rng.normal(size=(2, 3, 2, 2))
    np.testing.assert_allclose(jx.call("spatial_batchnorm_train", images, gamma, beta)[0],
                               ref.call("spatial_batchnorm_train", images, gamma, beta)[0],
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,fn", [("glorot_init", "glorot_normal"),
                                     ("he_init", "he_normal"),
                                     ("calibrated_init", "lecun_normal")])
def test_library_initializers_are_truncated_and_that_is_declared(jx, name, fn):
    fan_in, fan_out = 300, 200
    std = {"glorot_init": np.sqrt(2 / (fan_in + fan_out)), "he_init": np.sqrt(2 / fan_in),
           "calibrated_init": np.sqrt(1 / fan_in)}[name]
    w = jx.call(name, fan_in, fan_out, 11)
    # truncated at 2 sigma of the underlying normal, whose std is std / 0.8796
    assert np.abs(w).max() <= 2 * std / TRUNCATED_STD * (1 + 1e-12)
    assert abs(w.std() / std - 1) < 0.02  # 60000 weights: the variance is the promised one
    declared = jx.deviation_for(name, f"{name}_normal_shape")
    assert declared is not None and declared.kind == "expected-failure"
    assert "TRUNCATED" in declared.reason and fn in declared.reason
    assert jx.deviation_for(name, f"{name}_variance") is None  # only the shape is excused


def test_untruncated_convention_maps_to_variance_scaling_normal():
    impl = load("jax", {"init": "untruncated"})
    fan_in, fan_out = 300, 200
    w = impl.call("he_init", fan_in, fan_out, 11)
    beyond = float((np.abs(w) > 2 * np.sqrt(2 / fan_in)).mean())
    assert 0.03 < beyond < 0.06  # a normal: 4.55 % of 60000 weights beyond 2 std
    expected = jax.nn.initializers.variance_scaling(2.0, "fan_in", "normal")(
        jax.random.key(11), (fan_in, fan_out), jax.numpy.float64)
    np.testing.assert_allclose(w, np.asarray(expected), rtol=1e-15, atol=0)  # JAX's draw
    declared = impl.deviation_for("he_init", "he_init_normal_shape")
    assert declared is not None and declared.kind == "mapped" and "variance_scaling" in declared.reason


def test_seeded_initializers_reproduce_jax_draws(jx):
    import jax.numpy as jnp

    w = jx.call("glorot_init", 40, 30, 123)
    np.testing.assert_array_equal(w, jx.call("glorot_init", 40, 30, 123))
    assert not np.array_equal(w, jx.call("glorot_init", 40, 30, 124))
    direct = jax.nn.initializers.glorot_normal()(jax.random.key(123), (40, 30), jnp.float64)
    # JAX's own draw, [in x out]; compiled as one function (the adapter jits the
    # initializer) XLA may fuse the scaling differently from eager calls: 1 ulp apart.
    np.testing.assert_allclose(w, np.asarray(direct), rtol=1e-15, atol=0)
    small = jx.call("small_random_init", 40, 30, 7, 0.05)
    np.testing.assert_allclose(
        small, 0.05 * np.asarray(jax.random.normal(jax.random.key(7), (40, 30), jnp.float64)),
        rtol=1e-15, atol=0)
    np.testing.assert_array_equal(jx.call("zeros_init", 3, 2, 0), np.zeros((3, 2)))
    np.testing.assert_array_equal(jx.call("bias_init", 4, 0.01), np.full(4, 0.01))


def test_optax_losses_reduced_as_the_contract(jx, ref):
    """optax returns per-example losses: the adapter's mean over N (sum over attributes)."""
    rng = np.random.default_rng(1)
    scores, y = rng.normal(size=(5, 4)) * 3, np.array([0, 3, 1, 1, 2])
    Y01 = (rng.random((5, 4)) > 0.5).astype(float)
    cases = [("softmax_loss", y), ("crammer_singer_loss", y), ("logistic_loss", Y01),
             ("attribute_hinge_loss", 2 * Y01 - 1), ("l2_regression_loss", rng.normal(size=(5, 4)))]
    for name, target in cases:
        got, want = jx.call(name, scores, target), ref.call(name, scores, target)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12, err_msg=name)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-15, err_msg=name)
    per_example = optax.losses.softmax_cross_entropy_with_integer_labels(scores, y)
    assert np.shape(per_example) == (5,)  # why the adapter reduces (and declares it)
    assert float(optax.l2_loss(np.array(3.0))) == 4.5  # the 1/2 squared_error avoids


def test_weight_decay_is_lambda_w_and_max_norm_is_per_column(jx, ref):
    rng = np.random.default_rng(4)
    W = rng.normal(size=(4, 3)) * 2
    penalty, dW = jx.call("l2_penalty", W, 0.3)
    np.testing.assert_allclose(dW, 0.3 * W, rtol=1e-15)
    np.testing.assert_allclose(penalty, 0.5 * 0.3 * np.sum(W**2), rtol=1e-13)
    np.testing.assert_allclose(jx.call("max_norm_project", W, 1.0),
                               ref.call("max_norm_project", W, 1.0), rtol=1e-13)
    params = {"W1": W, "b1": rng.normal(size=3), "gamma1": np.ones(3)}
    grads = {k: rng.normal(size=v.shape) for k, v in params.items()}
    for biases in (False, True):
        loss, out = jx.call("regularized_objective", 1.5, params, grads, 0.3, biases)
        want, want_grads = ref.call("regularized_objective", 1.5, params, grads, 0.3, biases)
        np.testing.assert_allclose(loss, want, rtol=1e-13)
        for k in params:
            np.testing.assert_allclose(out[k], want_grads[k], rtol=1e-13, err_msg=k)


def test_library_disagreements_are_not_mapped_away(jx):
    """The failures of the committed report are the library's, seen here directly."""
    # jnp.maximum splits the gradient at a tie: 1 - y f = 0 gives -y/2, the contract 0
    _, dscores = jx.call("attribute_hinge_loss", np.array([[1.0]]), np.array([[1.0]]))
    assert dscores[0, 0] == -0.5
    # optax's Crammer-Singer formula max(s + 1 - onehot) - s_y leaves a rounding residue
    loss, _ = jx.call("crammer_singer_loss", np.array([[1.000001, 0.0]]), np.array([0]))
    assert loss == 2.0**-52
    # XLA:CPU flushes subnormal numbers to zero
    tiny = np.array([[0.0], [1.3386763832135e-311]])
    assert jx.call("max_norm_project", tiny, 1.0)[1, 0] == 0.0
    out, mask = jx.call("dropout_forward", np.ones(1), 0.5, "train", 0)
    assert out[0] == 2.0  # kept, so dx should be 2 * dout, a subnormal: flushed instead
    assert jx.call("dropout_backward", np.array([2.2e-313]), mask, 0.5, "train")[0] == 0.0


def test_suite_verdicts_end_to_end():
    report = check("jax", components=["crammer_singer_loss", "batchnorm_running_update",
                                      "l2_penalty"], seed=9, use_database=False)
    got = verdicts(report)
    assert got == {
        "crammer_singer_loss::crammer_singer_matches_reference": "deviation",
        "crammer_singer_loss::crammer_singer_gradient_matches_numeric": "deviation",
        "crammer_singer_loss::crammer_singer_gradient_matches_autograd": "deviation",
        # 2.2e-16 where 0 is expected: rounding, which the invariant allows
        "crammer_singer_loss::crammer_singer_zero_when_margins_hold": "deviation",
        "crammer_singer_loss::crammer_singer_averages_over_examples": "deviation",
        "batchnorm_running_update::batchnorm_running_update_matches_reference": "passed",
        "batchnorm_running_update::batchnorm_running_stats_approach_a_repeated_batch_geometrically":
            "passed",
        "batchnorm_running_update::batchnorm_running_stats_converge_to_data_statistics": "passed",
        "batchnorm_running_update::batchnorm_running_update_single_row": "passed",
        "l2_penalty::l2_matches_reference": "deviation",
        "l2_penalty::l2_gradient_matches_numeric": "deviation",
        "l2_penalty::l2_sgd_step_decays_linearly": "deviation",
    }, got
    assert report["implementation"]["version"].startswith(jax.__version__)
