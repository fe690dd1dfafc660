"""Keras 3 as an implementation under test (``--impl keras``; extra ``nncheck[keras]``).

Keras runs on its JAX backend (``KERAS_BACKEND=jax`` is set before Keras is imported, unless
the environment already chose JAX; any other backend is refused). Gradients are JAX's
autodiff (``jax.value_and_grad`` / ``jax.vjp``) of the Keras computation, which is what a
Keras model trained on JAX uses. Layers are called through ``Layer.stateless_call``, so
the running statistics and dropout seeds are explicit inputs and nothing is left behind.

Precision: the adapter turns on ``jax_enable_x64`` and ``keras.config.set_floatx("float64")``
and hands Keras float64 arrays. Keras 3 nevertheless computes some operations in float32 on
this backend (``keras.backend.result_type`` maps float64 to float32 on every backend but
TensorFlow, and ``ops.mean`` and ``BatchNormalization`` compute in that type). The adapter
does NOT patch this: what Keras returns is what is checked (see :data:`PRECISION_NOTE`).

Where Keras's convention differs from the contract (``/work/shared/DESIGN.md``, "What third
parties do differently") the adapter converts it and declares a
:class:`~nncheck.implementation.Deviation` with the reason. Nothing else is converted.

=============================  ===========================================================
component                      Keras API
=============================  ===========================================================
zeros_init, bias_init          ``initializers.Zeros``, ``initializers.Constant``
small_random_init              ``initializers.RandomNormal(stddev=scale, seed=seed)``
calibrated/glorot/he_init      ``initializers.LecunNormal/GlorotNormal/HeNormal(seed=seed)``
                               (truncated at 2 std: declared expected failure of the
                               normal-shape invariant)
batchnorm_train/backward       ``layers.BatchNormalization(axis=-1, epsilon=eps)``, training
spatial_batchnorm_*            ``layers.BatchNormalization(axis=1)`` on [N, C, H, W]
batchnorm_running_update       the moving statistics a training call returns
batchnorm_inference            the same layer with ``training=False``
l2_penalty                     ``regularizers.L2(l2=reg / 2)``
l1_penalty                     ``regularizers.L1(l1=reg)``
elastic_net_penalty            ``regularizers.L1L2(l1=reg_l1, l2=reg_l2)``
max_norm_project               ``constraints.MaxNorm(max_value=c, axis=0)``
dropout_forward/backward       ``layers.Dropout(rate=1 - p, seed=seed)``
softmax_loss                   ``losses.SparseCategoricalCrossentropy(from_logits=True)``
crammer_singer_loss            ``losses.CategoricalHinge`` on one-hot labels
attribute_hinge_loss           ``losses.Hinge`` (times C)
logistic_loss                  ``losses.BinaryCrossentropy(from_logits=True)`` (times C)
l2/l1_regression_loss          ``losses.MeanSquaredError/MeanAbsoluteError`` (times D)
total_objective                ``SparseCategoricalCrossentropy(from_logits=True)`` of
                               ``ops.matmul(X, W)`` + ``regularizers.L2(reg / 2)``
=============================  ===========================================================

Not in Keras (reported as not implemented): preprocessing, sparse_init, batchnorm_backward_alt
(Keras has one backward, autodiff), vanilla dropout, DropConnect, regularized_objective, the
Weston-Watkins hinge and its squared form (Keras ``SquaredHinge`` is a per-attribute squared
hinge, which the contract has no component for), hierarchical softmax, structured SVM,
linear_svm_loss. Section of the notes: all of them ("Weight Initialization", "Batch
Normalization", "Regularization", "Loss functions").
"""

from __future__ import annotations

import functools
import os

import numpy as np

from nncheck.adapters import reject_unknown_options
from nncheck.adapters.conventions import (
    ABS_KINK_BOUND,
    NORM_GUARD_BOUND,
    NORM_GUARD_TEXT,
    SPLIT_KINK_BOUND,
    TRUNCATED_NORMAL,
)
from nncheck.contract import COMPONENTS
from nncheck.errors import UsageError
from nncheck.implementation import Deviation, Implementation

PRECISION_NOTE = ("float64: jax_enable_x64 and keras.config.set_floatx('float64'); Keras on "
                  "JAX still computes ops.mean and BatchNormalization in float32 "
                  "(keras.backend.result_type maps float64 to float32), not patched")

TRUNCATED = ("Keras {name} draws from a normal TRUNCATED at 2 std (std divided by 0.8796 so "
             "the variance is the contract's); the contract's init is an untruncated normal")
BN_EPS = ("Keras BatchNormalization's epsilon defaults to 1e-3; the adapter passes the "
          "contract's eps (default 1e-5) explicitly")
FROM_LOGITS = ("Keras {name} defaults to from_logits=False (it expects probabilities); the "
               "adapter passes from_logits=True, the contract's scores are logits")
ABS_KINK = ("Keras {name} differentiates abs through JAX, whose gradient of |x| at x = 0 is 1: "
            "dW = {reg} at a zero weight, a valid subgradient (any value in [-{reg}, {reg}] is "
            "one), not the 0 the contract chooses")
DROPOUT_RATE = ("Keras Dropout's rate is the probability of DROPPING a unit; the adapter "
                "passes rate = 1 - p and training = (mode == 'train')")

DEVIATIONS = [
    # Weight Initialization: the "normal" initializers are truncated normals.
    *(Deviation(comp, TRUNCATED.format(name=name), invariant=f"{comp}_normal_shape",
                kind="expected-failure", bound=TRUNCATED_NORMAL)
      for comp, name in (("calibrated_init", "LecunNormal"), ("glorot_init", "GlorotNormal"),
                         ("he_init", "HeNormal"))),
    Deviation("calibrated_init", "Keras has no initializer named for randn / sqrt(fan_in): "
              "LecunNormal (variance 1 / fan_in) is that init"),
    # Batch Normalization
    *(Deviation(comp, BN_EPS) for comp in ("batchnorm_train", "batchnorm_backward",
                                           "batchnorm_inference", "spatial_batchnorm_train",
                                           "spatial_batchnorm_backward")),
    Deviation("batchnorm_running_update", "Keras momentum weights the OLD value, as the "
              "contract's does, so it is passed unchanged; only the default differs (Keras "
              "0.99, the contract 0.9)"),
    # Regularization
    Deviation("l2_penalty", "Keras L2(l2) is l2 * sum(w**2), without the contract's 1/2: the "
              "adapter passes l2 = reg / 2"),
    Deviation("elastic_net_penalty", ABS_KINK.format(name="L1L2", reg="reg_l1"),
              invariant="elastic_net_subgradient_zero_at_zero", kind="expected-failure",
              bound=ABS_KINK_BOUND),
    Deviation("l1_regression_loss", "Keras MeanAbsoluteError differentiates |f - y| through "
              "JAX, which gives +-1 / N where f = y exactly: a valid subgradient (any value in "
              "[-1/N, 1/N] is one), not the 0 the contract chooses",
              invariant="l1_regression_subgradient_zero_at_kink", kind="expected-failure",
              bound=ABS_KINK_BOUND),
    Deviation("l1_penalty", ABS_KINK.format(name="L1", reg="reg"),
              invariant="l1_subgradient_zero_at_zero", kind="expected-failure",
              bound=ABS_KINK_BOUND),
    # torch declares the same guard (nncheck.adapters.conventions)
    Deviation("max_norm_project", NORM_GUARD_TEXT.format(name="Keras MaxNorm (w * clip(n, 0, c) "
              "/ (n + 1e-7))") + "; columns inside the ball are shrunk by n / (n + 1e-7), so "
              "they do not come back unchanged", invariant="max_norm_inside_columns_untouched",
              kind="expected-failure", bound=NORM_GUARD_BOUND),
    Deviation("max_norm_project", NORM_GUARD_TEXT.format(name="Keras MaxNorm") + "; a second "
              "projection shrinks every column by n / (n + 1e-7) again",
              invariant="max_norm_idempotent", kind="expected-failure", bound=NORM_GUARD_BOUND),
    Deviation("max_norm_project", NORM_GUARD_TEXT.format(name="Keras MaxNorm"),
              invariant="max_norm_matches_reference", kind="expected-failure",
              bound=NORM_GUARD_BOUND),
    Deviation("max_norm_project", NORM_GUARD_TEXT.format(name="Keras MaxNorm") + "; a column "
              "of subnormal weights is shrunk by n / (n + 1e-7) to 0 (and XLA flushes subnormals)",
              invariant="max_norm_keeps_subnormal_columns", kind="expected-failure",
              bound=NORM_GUARD_BOUND),
    *(Deviation(comp, DROPOUT_RATE) for comp in ("dropout_forward", "dropout_backward")),
    # Loss functions
    Deviation("softmax_loss", FROM_LOGITS.format(name="SparseCategoricalCrossentropy")),
    Deviation("logistic_loss", FROM_LOGITS.format(name="BinaryCrossentropy") + "; Keras "
              "averages over the last axis (attributes): the adapter multiplies by C (the "
              "contract sums over attributes)"),
    Deviation("attribute_hinge_loss", "Keras Hinge is maximum(1 - y f, 0); at the kink (y f = 1 "
              "exactly) the backend's maximum splits the gradient, giving -y / (2N): a valid "
              "subgradient, not the 0 the contract chooses",
              invariant="attribute_hinge_subgradient_zero_at_the_kink", kind="expected-failure",
              bound=SPLIT_KINK_BOUND),
    Deviation("attribute_hinge_loss", "Keras Hinge averages over the last axis (attributes): "
              "the adapter multiplies loss and gradient by C (the contract sums)"),
    *(Deviation(comp, f"Keras {name} averages over the last axis (output dimensions): the "
                "adapter multiplies by D (the contract sums over them)")
      for comp, name in (("l2_regression_loss", "MeanSquaredError"),
                         ("l1_regression_loss", "MeanAbsoluteError"))),
    Deviation("total_objective", "the L2 part is Keras L2(l2 = reg / 2) (Keras has no 1/2) and "
              "the data part SparseCategoricalCrossentropy(from_logits=True) (Keras defaults "
              "to probabilities)"),
]


def _keras():
    """Import Keras on the JAX backend with float64 on; a UsageError if that is impossible."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import jax
        import keras
    except ImportError:
        raise UsageError("the keras adapter needs Keras 3 and JAX: "
                         "pip install 'nncheck[keras]'") from None
    if not keras.__version__.startswith("3."):
        raise UsageError(f"the keras adapter needs Keras 3, found keras {keras.__version__}")
    if keras.backend.backend() != "jax":
        raise UsageError("the keras adapter runs Keras on JAX, but Keras was loaded with the "
                         f"{keras.backend.backend()!r} backend (set KERAS_BACKEND=jax)")
    jax.config.update("jax_enable_x64", True)
    keras.config.set_floatx("float64")
    return keras, jax


FORCE_FLOAT64 = ("float64 FORCED (--convention float64=force, a diagnostic): the adapter "
                 "patched keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE so that Keras "
                 "keeps float64 where it would compute in float32; this is not stock Keras")


def _force_float64() -> None:
    """Stop Keras from mapping float64 to float32 in its type promotion (diagnostic only)."""
    from keras.src.backend.common import dtypes

    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"


def load(options: dict | None = None) -> Implementation:
    """``--convention float64=force`` patches Keras so that it computes in float64 (to tell
    precision failures from others); the default checks Keras as it is."""
    options = dict(options or {})
    reject_unknown_options(options, {"float64"}, "the keras adapter")
    mode = options.get("float64", "keras")
    if mode not in ("keras", "force"):
        raise UsageError(f"--convention float64= takes 'keras' (default) or 'force', not {mode!r}")
    keras, jax = _keras()
    note = PRECISION_NOTE
    if mode == "force":
        _force_float64()
        note = FORCE_FLOAT64
    return Implementation("keras", _functions(keras, jax), version=keras.__version__,
                          source=f"keras {keras.__version__} on JAX {jax.__version__} (CPU); "
                                 f"{note}",
                          deviations=DEVIATIONS)


def _functions(keras, jax):
    """One closure per component, all alike."""
    import jax.numpy as jnp

    def arr(a):
        return jnp.asarray(np.asarray(a, dtype=np.float64))

    def out(a):
        return np.array(a, dtype=np.float64)  # a copy, never a view of a JAX buffer

    # ------------------------------------------------------------------ initialization
    init = keras.initializers

    def _init(initializer, fan_in, fan_out):
        return out(initializer(shape=(int(fan_in), int(fan_out)), dtype="float64"))

    def zeros_init(fan_in, fan_out, seed):
        return _init(init.Zeros(), fan_in, fan_out)

    def small_random_init(fan_in, fan_out, seed, scale=0.01):
        return _init(init.RandomNormal(mean=0.0, stddev=float(scale), seed=int(seed)),
                     fan_in, fan_out)

    def calibrated_init(fan_in, fan_out, seed):
        return _init(init.LecunNormal(seed=int(seed)), fan_in, fan_out)

    def glorot_init(fan_in, fan_out, seed):
        return _init(init.GlorotNormal(seed=int(seed)), fan_in, fan_out)

    def he_init(fan_in, fan_out, seed):
        return _init(init.HeNormal(seed=int(seed)), fan_in, fan_out)

    def bias_init(fan_out, value=0.0):
        return out(init.Constant(float(value))(shape=(int(fan_out),), dtype="float64"))

    # ------------------------------------------------------------- batch normalization
    @functools.lru_cache(maxsize=64)
    def _bn(shape, axis, eps, momentum):
        """A built BatchNormalization, called only through stateless_call (it keeps no
        state), and its jitted forward and backward (as a Keras model on JAX runs)."""
        layer = keras.layers.BatchNormalization(axis=axis, epsilon=eps, momentum=momentum,
                                                dtype="float64")
        layer.build(shape)

        def forward(x, gamma, beta, mean, var, training):
            return layer.stateless_call([gamma, beta], [mean, var], x, training=training)

        def backward(x, gamma, beta, dout):
            def train_out(x, gamma, beta):
                moving = jnp.zeros_like(gamma), jnp.ones_like(gamma)  # unused in training
                return forward(x, gamma, beta, *moving, True)[0]

            return jax.vjp(train_out, x, gamma, beta)[1](dout)

        return jax.jit(forward, static_argnames="training"), jax.jit(backward)

    def _bn_forward(x, gamma, beta, mean, var, *, axis, eps, momentum=0.99, training):
        x = np.asarray(x, dtype=np.float64)
        forward, _ = _bn(x.shape, axis, float(eps), float(momentum))
        return forward(arr(x), arr(gamma), arr(beta), arr(mean), arr(var), training=training)

    def _bn_train(x, gamma, beta, eps, axis):
        c = np.shape(gamma)[0]
        y, _ = _bn_forward(x, gamma, beta, np.zeros(c), np.ones(c), axis=axis, eps=eps,
                           training=True)
        _, backward = _bn(np.shape(x), axis, float(eps), 0.99)
        return out(y), (backward, arr(x), arr(gamma), arr(beta))

    def _bn_backward(dout, cache):
        backward, x, gamma, beta = cache
        dx, dgamma, dbeta = backward(x, gamma, beta, arr(dout))
        return out(dx), out(dgamma), out(dbeta)

    batchnorm_backward = spatial_batchnorm_backward = _bn_backward  # JAX autodiff

    def batchnorm_train(x, gamma, beta, eps=1e-5):
        return _bn_train(x, gamma, beta, eps, axis=-1)

    def spatial_batchnorm_train(x, gamma, beta, eps=1e-5):
        return _bn_train(x, gamma, beta, eps, axis=1)

    def batchnorm_running_update(running_mean, running_var, x, momentum=0.9):
        d = np.shape(x)[1]
        _, (moving_mean, moving_var) = _bn_forward(
            x, np.ones(d), np.zeros(d), running_mean, running_var, axis=-1, eps=1e-5,
            momentum=momentum, training=True)
        return out(moving_mean), out(moving_var)

    def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
        y, _ = _bn_forward(x, gamma, beta, running_mean, running_var, axis=-1, eps=eps,
                           training=False)
        return out(y)

    # ------------------------------------------------------------------ regularization
    regs = keras.regularizers

    def _penalty(regularizer, W):
        value, grad = jax.value_and_grad(lambda w: regularizer(w))(arr(W))
        return float(value), out(grad)

    def l2_penalty(W, reg):
        return _penalty(regs.L2(l2=float(reg) / 2.0), W)

    def l1_penalty(W, reg):
        return _penalty(regs.L1(l1=float(reg)), W)

    def elastic_net_penalty(W, reg_l1, reg_l2):
        return _penalty(regs.L1L2(l1=float(reg_l1), l2=float(reg_l2)), W)

    def max_norm_project(W, c):
        return out(keras.constraints.MaxNorm(max_value=float(c), axis=0)(arr(W)))

    def dropout_forward(x, p, mode, seed):
        layer = keras.layers.Dropout(rate=1.0 - float(p), seed=int(seed), dtype="float64")
        x = np.asarray(x, dtype=np.float64)
        layer.build(x.shape)
        state = [v.value for v in layer.non_trainable_variables]  # the seed generator's

        def forward(x):
            return layer.stateless_call([], state, x, training=(mode == "train"))[0]

        y, pullback = jax.vjp(forward, arr(x))
        return out(y), pullback

    def dropout_backward(dout, mask, p, mode):
        (dx,) = mask(arr(dout))
        return out(dx)

    # -------------------------------------------------------------------------- losses
    losses = keras.losses
    sparse_ce = losses.SparseCategoricalCrossentropy(from_logits=True)
    cat_hinge = losses.CategoricalHinge()
    hinge = losses.Hinge()
    binary_ce = losses.BinaryCrossentropy(from_logits=True)
    mse = losses.MeanSquaredError()
    mae = losses.MeanAbsoluteError()

    @functools.cache
    def _jitted(fn):
        """Value and gradient w.r.t. the prediction of a Keras loss, jitted (compiled once
        per shape, as Keras compiles a training step on JAX)."""
        return jax.jit(jax.value_and_grad(lambda pred, target: fn(target, pred)))

    def _loss(fn, target, pred, factor=1):
        """Loss value and gradient w.r.t. pred (JAX autodiff of the Keras loss), times the
        declared factor that turns Keras's mean over the last axis into the contract's sum."""
        target = np.asarray(target)
        target = arr(target) if np.issubdtype(target.dtype, np.floating) else jnp.asarray(target)
        value, grad = _jitted(fn)(arr(pred), target)
        return float(value) * factor, out(grad) * factor

    def softmax_loss(scores, y):
        return _loss(sparse_ce, np.asarray(y, dtype=np.int64), scores)

    def crammer_singer_loss(scores, y):
        onehot = np.eye(np.shape(scores)[1])[np.asarray(y, dtype=np.int64)]
        return _loss(cat_hinge, onehot, scores)

    def attribute_hinge_loss(scores, Y):
        return _loss(hinge, Y, scores, np.shape(scores)[1])

    def logistic_loss(scores, Y):
        return _loss(binary_ce, Y, scores, np.shape(scores)[1])

    def l2_regression_loss(pred, target):
        return _loss(mse, target, pred, int(np.prod(np.shape(pred)[1:])))

    def l1_regression_loss(pred, target):
        return _loss(mae, target, pred, int(np.prod(np.shape(pred)[1:])))

    @jax.jit
    def _data_objective(w, data, labels):
        return jax.value_and_grad(lambda w: sparse_ce(labels, keras.ops.matmul(data, w)))(w)

    def total_objective(W, X, y, reg):
        value, grad = _data_objective(arr(W), arr(X), jnp.asarray(np.asarray(y, np.int64)))
        penalty, dpenalty = l2_penalty(W, reg)  # Keras L2(reg / 2), as declared there
        return float(value) + penalty, out(grad) + dpenalty

    return {name: fn for name, fn in locals().items() if name in COMPONENTS}
