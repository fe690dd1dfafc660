"""JAX / Flax / optax as an implementation under test (``--impl jax``; extra ``nncheck[jax]``).

Every component maps onto a public API of ``jax``, ``flax.linen`` or ``optax``. Where their
convention differs from the contract (``/work/shared/DESIGN.md``, "What third parties do
differently"), the adapter converts it and declares a
:class:`~nncheck.implementation.Deviation` with the reason. Nothing else is converted: any
other disagreement is the library's own answer and is reported as a failure.

Precision: JAX computes in float32 unless ``jax_enable_x64`` is switched on. The adapter
switches it on (a process-wide JAX setting) so that the suite's float64 tolerances mean
something; the implementation's version string says so, and so does every report.

Gradients come from JAX's own autodiff (``jax.value_and_grad`` / ``jax.vjp``) of the forward
the library computed. JAX compiles once per input shape, and the suite draws many shapes, so
the adapter keeps compilation cheap: each component is one ``jax.jit``-compiled function
(one compilation per shape, reused by every invariant of the component in the process),
and, unless ``XLA_FLAGS`` is already set, XLA's CPU back end is asked not to spend time
optimising the machine code (``--xla_backend_optimization_level=0``; IEEE semantics are
unchanged: XLA never enables fast-math by default).

=============================  =============================================================
component                      JAX / Flax / optax API
=============================  =============================================================
zeros_init                     ``jax.nn.initializers.zeros``
small_random_init              ``jax.nn.initializers.normal(stddev=scale)``
calibrated_init                ``jax.nn.initializers.lecun_normal()`` (truncated, see below)
glorot_init                    ``jax.nn.initializers.glorot_normal()`` (truncated)
he_init                        ``jax.nn.initializers.he_normal()`` (truncated)
bias_init                      ``jax.nn.initializers.constant(value)``
batchnorm_train/backward       ``flax.linen.BatchNorm(use_running_average=False)`` + ``jax.vjp``
batchnorm_running_update       the ``batch_stats`` collection after one training ``apply``
batchnorm_inference            ``flax.linen.BatchNorm(use_running_average=True)``
spatial_batchnorm_*            ``flax.linen.BatchNorm(axis=1)`` on [N, C, H, W]
dropout_forward/backward       ``flax.linen.Dropout(rate=1 - p)`` + ``jax.vjp``
l2_penalty                     ``optax.add_decayed_weights(reg)`` on a zero gradient
regularized_objective          ``optax.add_decayed_weights(reg, mask=...)`` on the grads
max_norm_project               ``optax.projections.projection_l2_ball``, one column at a time
softmax_loss                   ``optax.softmax_cross_entropy_with_integer_labels``
crammer_singer_loss            ``optax.losses.multiclass_hinge_loss``
logistic_loss                  ``optax.sigmoid_binary_cross_entropy``
attribute_hinge_loss           ``optax.hinge_loss``
l2_regression_loss             ``optax.squared_error``
total_objective                ``optax.softmax_cross_entropy_with_integer_labels`` of X @ W
                               + ``optax.add_decayed_weights``
=============================  =============================================================

Not in JAX/Flax/optax (not implemented): the preprocessors, sparse initialization, the
Weston-Watkins SVM and its squared twin, vanilla dropout, DropConnect, L1 and elastic-net
penalties, the L1 regression loss, hierarchical softmax, structured SVM, the closed-form
``batchnorm_backward_alt`` (JAX only has autodiff).

Conventions (``--convention KEY=VALUE``):

* ``init=library`` (default): ``lecun_normal``/``glorot_normal``/``he_normal`` as Flax uses
  them, i.e. a normal TRUNCATED at 2 standard deviations and rescaled to the promised
  variance. Their ``*_normal_shape`` invariant is declared an expected failure.
* ``init=untruncated``: ``jax.nn.initializers.variance_scaling(scale, mode, "normal")``, the
  same initializers without the truncation (declared as a mapped deviation).
"""

from __future__ import annotations

import os
import re
from functools import partial

import numpy as np

from nncheck.adapters import reject_unknown_options
from nncheck.adapters.conventions import (
    FLUSH_TO_ZERO_BOUND,
    FLUSH_TO_ZERO_TEXT,
    SPLIT_KINK_BOUND,
    TRUNCATED_NORMAL,
)
from nncheck.contract import COMPONENTS
from nncheck.errors import UsageError
from nncheck.implementation import Deviation, Implementation

X64_NOTE = ("float64 via jax_enable_x64, switched on by the adapter (JAX computes in float32 "
            "otherwise)")

OPTAX_MEAN = ("optax losses do not reduce: they return one loss per example (per entry for "
              "elementwise losses); the adapter {how} and takes the mean over the N examples")
TRUNCATED = ("jax.nn.initializers.{name} draws a normal TRUNCATED at 2 standard deviations "
             "(rescaled by 1/0.8796 to keep the variance): by design, not normal-shaped "
             "(--convention init=untruncated checks variance_scaling(..., 'normal') instead)")
UNTRUNCATED = ("jax.nn.initializers.{name} is truncated at 2 standard deviations; with "
               "--convention init=untruncated the adapter uses variance_scaling({args}, "
               "'normal'), the same initializer without the truncation")
DECAY = ("optax has L2 only as a gradient transformation, add_decayed_weights (update + "
         "weight_decay * w): dW is its update of a zero gradient, and the penalty reported is "
         "0.5 * <W, dW>, the quadratic that gradient integrates to")

# name in jax.nn.initializers, variance_scaling arguments of the same scheme
INITIALIZERS = {
    "calibrated_init": ("lecun_normal", (1.0, "fan_in")),
    "glorot_init": ("glorot_normal", (1.0, "fan_avg")),
    "he_init": ("he_normal", (2.0, "fan_in")),
}

HINGE_KINK = ("at the hinge's kink (y f = 1 exactly) jnp.maximum splits the gradient between "
              "its two arguments, giving -y / (2N): a valid subgradient (any value between -y / N "
              "and 0 is one), not the 0 the contract chooses")
_COMMON_DEVIATIONS = [
    *(Deviation(c, "flax.linen.Dropout takes rate, the probability of DROPPING a unit: the "
                "adapter passes rate = 1 - p, and deterministic = (mode == 'test')")
      for c in ("dropout_forward", "dropout_backward")),
    Deviation("l2_penalty", DECAY),
    Deviation("regularized_objective", f"{DECAY}; which parameters decay is optax's mask, set "
              "by the adapter from the contract's naming rule (W*, and b* on request)"),
    Deviation("total_objective", f"{OPTAX_MEAN.format(how='computes X @ W')}; the L2 part is "
              "optax.add_decayed_weights, the penalty value 0.5 * <W, dW_decay>"),
    Deviation("max_norm_project", "optax.projections.projection_l2_ball projects the GLOBAL "
              "norm of its argument: the adapter applies it to each column (jax.vmap)"),
    Deviation("max_norm_project", FLUSH_TO_ZERO_TEXT, invariant="max_norm_keeps_subnormal_"
              "columns", kind="expected-failure", bound=FLUSH_TO_ZERO_BOUND),
    Deviation("softmax_loss", OPTAX_MEAN.format(how="uses the per-example losses as they are")),
    Deviation("crammer_singer_loss", OPTAX_MEAN.format(
        how="uses multiclass_hinge_loss (Crammer-Singer, as the contract's component)")),
    Deviation("logistic_loss", OPTAX_MEAN.format(how="sums the elementwise losses over "
                                                 "attributes")),
    Deviation("attribute_hinge_loss", HINGE_KINK, invariant="attribute_hinge_subgradient_zero_"
              "at_the_kink", kind="expected-failure", bound=SPLIT_KINK_BOUND),
    Deviation("attribute_hinge_loss", OPTAX_MEAN.format(how="sums the elementwise hinges over "
                                                        "attributes")),
    Deviation("l2_regression_loss", OPTAX_MEAN.format(
        how="uses squared_error (optax.l2_loss would add a factor 1/2), sums it over output "
            "dimensions")),
]


def deviations(init: str) -> list[Deviation]:
    """What this adapter declares, for the chosen initializer convention."""
    found = list(_COMMON_DEVIATIONS)
    for comp, (name, (scale, mode)) in INITIALIZERS.items():
        if init == "library":
            found.append(Deviation(comp, TRUNCATED.format(name=name),
                                   invariant=f"{comp}_normal_shape", kind="expected-failure",
                                   bound=TRUNCATED_NORMAL))
        else:
            found.append(Deviation(comp, UNTRUNCATED.format(name=name,
                                                            args=f"{scale:g}, {mode!r}")))
    return found


CONVENTIONS = {"init": ("library", "untruncated")}


def _jax():
    try:
        import flax
        import jax
        import optax
    except ImportError:
        raise UsageError("the jax adapter needs jax, flax and optax: "
                         "pip install 'nncheck[jax]'") from None
    return jax, flax, optax


def _cheap_compilation() -> None:
    """Ask XLA:CPU for quick, unoptimised machine code (tiny arrays; compile time dominates).

    Only when the user set no XLA_FLAGS and only before JAX starts its back end (the flags
    are read then). The platform is pinned to the CPU unless JAX_PLATFORMS says otherwise.
    """
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    if "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = "--xla_backend_optimization_level=0"


def load(options: dict | None = None) -> Implementation:
    options = dict(options or {})
    reject_unknown_options(options, set(CONVENTIONS), "the jax adapter")
    init = options.get("init", "library")
    if init not in CONVENTIONS["init"]:
        raise UsageError(f"the jax adapter's init takes {' or '.join(CONVENTIONS['init'])}, "
                         f"got {init!r}")
    _cheap_compilation()
    jax, flax, optax = _jax()
    jax.config.update("jax_enable_x64", True)
    version = (f"{jax.__version__} (flax {flax.__version__}, optax {optax.__version__}; "
               "float64: jax_enable_x64 set by the adapter)")
    return Implementation("jax", _functions(jax, optax, init), version=version,
                          source=f"jax + flax.linen + optax (CPU; {X64_NOTE})",
                          deviations=deviations(init))


_BIAS = re.compile(r"b\d*")


def _decays(name: str, regularize_biases: bool) -> bool:
    """The contract's naming rule: W* are weights, b / b<digits> are biases."""
    return name.startswith("W") or (regularize_biases and _BIAS.fullmatch(name) is not None)


def _functions(jax, optax, init_convention):
    """One closure per component; the compiled parts are built once, here."""
    import flax.linen as nn
    import jax.numpy as jnp

    f64 = jnp.float64
    inits = jax.nn.initializers

    def out(a):
        return np.array(a, dtype=np.float64, copy=True)

    def arr(a):
        return jnp.asarray(np.asarray(a, dtype=np.float64))

    def key(seed):
        return jax.random.key(int(seed))

    # ------------------------------------------------------------------ initialization
    def _compiled_init(initializer):
        return jax.jit(lambda k, shape: initializer(k, shape, f64), static_argnums=1)

    zeros = _compiled_init(inits.zeros)
    named = {}
    for comp, (name, (scale, mode)) in INITIALIZERS.items():
        chosen = (getattr(inits, name)() if init_convention == "library"
                  else inits.variance_scaling(scale, mode, "normal"))
        named[comp] = _compiled_init(chosen)

    def zeros_init(fan_in, fan_out, seed):
        return out(zeros(key(seed), (int(fan_in), int(fan_out))))

    # jax.nn.initializers.normal multiplies a standard normal by stddev; stddev is traced so
    # that one compilation per shape serves every scale.
    _normal = jax.jit(lambda k, scale, shape: inits.normal(stddev=scale)(k, shape, f64),
                      static_argnums=2)

    def small_random_init(fan_in, fan_out, seed, scale=0.01):
        return out(_normal(key(seed), float(scale), (int(fan_in), int(fan_out))))

    def calibrated_init(fan_in, fan_out, seed):
        return out(named["calibrated_init"](key(seed), (int(fan_in), int(fan_out))))

    def glorot_init(fan_in, fan_out, seed):
        return out(named["glorot_init"](key(seed), (int(fan_in), int(fan_out))))

    def he_init(fan_in, fan_out, seed):
        return out(named["he_init"](key(seed), (int(fan_in), int(fan_out))))

    def bias_init(fan_out, value=0.0):
        return out(inits.constant(float(value), dtype=f64)(key(0), (int(fan_out),)))

    # ------------------------------------------------------------- batch normalization
    def _bn(axis, eps, momentum=0.99, use_running_average=False):
        return nn.BatchNorm(use_running_average=use_running_average, axis=axis, epsilon=eps,
                            momentum=momentum, dtype=f64, param_dtype=f64)

    def _stats_like(gamma):
        return {"mean": jnp.zeros_like(gamma), "var": jnp.ones_like(gamma)}

    def _bn_forward(x, gamma, beta, eps, axis):
        y, _ = _bn(axis, eps).apply({"params": {"scale": gamma, "bias": beta},
                                     "batch_stats": _stats_like(gamma)},
                                    x, mutable=["batch_stats"])
        return y

    # axis (-1: features last; 1: channels of [N, C, H, W]) is static, eps is traced.
    _bn_train = jax.jit(_bn_forward, static_argnums=4)

    @partial(jax.jit, static_argnums=4)
    def _bn_vjp(x, gamma, beta, eps, axis, dout):
        _, pullback = jax.vjp(lambda a, g, b: _bn_forward(a, g, b, eps, axis), x, gamma, beta)
        return pullback(dout)

    def _train(x, gamma, beta, eps, axis):
        xs, g, b = arr(x), arr(gamma), arr(beta)
        y = _bn_train(xs, g, b, float(eps), axis)
        return out(y), (xs, g, b, float(eps), axis)

    def _backward(dout, cache):
        xs, g, b, eps, axis = cache
        dx, dgamma, dbeta = _bn_vjp(xs, g, b, eps, axis, arr(dout))
        return out(dx), out(dgamma), out(dbeta)

    def batchnorm_train(x, gamma, beta, eps=1e-5):
        return _train(x, gamma, beta, eps, -1)

    def spatial_batchnorm_train(x, gamma, beta, eps=1e-5):
        return _train(x, gamma, beta, eps, 1)

    batchnorm_backward = spatial_batchnorm_backward = _backward  # jax.vjp of the forward

    @jax.jit
    def _running(running_mean, running_var, x, momentum):
        d = x.shape[1]
        _, state = _bn(-1, 1e-5, momentum=momentum).apply(
            {"params": {"scale": jnp.ones(d, f64), "bias": jnp.zeros(d, f64)},
             "batch_stats": {"mean": running_mean, "var": running_var}},
            x, mutable=["batch_stats"])
        return state["batch_stats"]["mean"], state["batch_stats"]["var"]

    def batchnorm_running_update(running_mean, running_var, x, momentum=0.9):
        # Flax's momentum weights the OLD value, as the contract's: passed through as is.
        mean, var = _running(arr(running_mean), arr(running_var), arr(x), float(momentum))
        return out(mean), out(var)

    @jax.jit
    def _inference(x, gamma, beta, running_mean, running_var, eps):
        return _bn(-1, eps, use_running_average=True).apply(
            {"params": {"scale": gamma, "bias": beta},
             "batch_stats": {"mean": running_mean, "var": running_var}}, x)

    def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
        return out(_inference(arr(x), arr(gamma), arr(beta), arr(running_mean),
                              arr(running_var), float(eps)))

    # ------------------------------------------------------------------ regularization
    def _decay_update(params, reg, mask=None):
        """optax.add_decayed_weights applied to a zero gradient: the decay term alone."""
        transform = optax.add_decayed_weights(reg, mask=mask)
        zero = jax.tree_util.tree_map(jnp.zeros_like, params)
        updates, _ = transform.update(zero, transform.init(params), params)
        return updates

    @jax.jit
    def _l2(W, reg):
        dW = _decay_update(W, reg)
        return 0.5 * jnp.sum(W * dW), dW

    def l2_penalty(W, reg):
        penalty, dW = _l2(arr(W), float(reg))
        return float(penalty), out(dW)

    def regularized_objective(data_loss, params, grads, reg, regularize_biases=False):
        ps = {k: arr(v) for k, v in params.items()}
        mask = {k: _decays(k, regularize_biases) for k in ps}
        decay = _decay_update(ps, float(reg), mask=mask)
        penalty = sum(0.5 * float(jnp.sum(ps[k] * decay[k])) for k in ps if mask[k])
        new_grads = {k: out(np.asarray(grads[k], dtype=np.float64) + out(decay[k])) if mask[k]
                     else out(grads[k]) for k in ps}
        return float(data_loss) + penalty, new_grads

    _project = jax.jit(jax.vmap(optax.projections.projection_l2_ball, in_axes=(1, None),
                                out_axes=1))

    def max_norm_project(W, c):
        return out(_project(arr(W), float(c)))

    def dropout_forward(x, p, mode, seed):
        layer = nn.Dropout(rate=1.0 - float(p), deterministic=(mode != "train"))
        xs = arr(x)
        y, pullback = jax.vjp(lambda a: layer.apply({}, a, rngs={"dropout": key(seed)}), xs)
        return out(y), pullback

    def dropout_backward(dout, mask, p, mode):
        (dx,) = mask(arr(dout))
        return out(dx)

    # -------------------------------------------------------------------------- losses
    def _mean_loss(per_example):
        """value_and_grad of the mean over N of per-example losses (summed over other axes)."""
        def total(a, b):
            losses = per_example(a, b)
            losses = losses.reshape(losses.shape[0], -1).sum(axis=1)
            return jnp.mean(losses)
        return jax.jit(jax.value_and_grad(total))

    compiled = {
        "softmax_loss": _mean_loss(optax.losses.softmax_cross_entropy_with_integer_labels),
        "crammer_singer_loss": _mean_loss(optax.losses.multiclass_hinge_loss),
        "logistic_loss": _mean_loss(optax.losses.sigmoid_binary_cross_entropy),
        "attribute_hinge_loss": _mean_loss(optax.losses.hinge_loss),
        "l2_regression_loss": _mean_loss(optax.losses.squared_error),
    }

    def _loss(name, a, b, labels=False):
        b = jnp.asarray(np.asarray(b, dtype=np.int64)) if labels else arr(b)
        value, grad = compiled[name](arr(a), b)
        return float(value), out(grad)

    def softmax_loss(scores, y):
        return _loss("softmax_loss", scores, y, labels=True)

    def crammer_singer_loss(scores, y):
        return _loss("crammer_singer_loss", scores, y, labels=True)

    def logistic_loss(scores, Y):
        return _loss("logistic_loss", scores, Y)

    def attribute_hinge_loss(scores, Y):
        return _loss("attribute_hinge_loss", scores, Y)

    def l2_regression_loss(pred, target):
        return _loss("l2_regression_loss", pred, target)

    @jax.jit
    def _objective(W, X, y, reg):
        def data(w):
            return jnp.mean(optax.losses.softmax_cross_entropy_with_integer_labels(X @ w, y))
        loss, dW = jax.value_and_grad(data)(W)
        decay = _decay_update(W, reg)
        return loss + 0.5 * jnp.sum(W * decay), dW + decay

    def total_objective(W, X, y, reg):
        loss, dW = _objective(arr(W), arr(X), jnp.asarray(np.asarray(y, dtype=np.int64)),
                              float(reg))
        return float(loss), out(dW)

    return {name: fn for name, fn in locals().items() if name in COMPONENTS}
