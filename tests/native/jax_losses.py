"""Correct components written the way a JAX user writes them: jnp arrays in and out, the
gradients left to jax autodiff, one loss as a jax.custom_vjp with its own backward
(tests/test_native.py checks that they conform with no glue, x64 switched on by nncheck)."""

import jax
import jax.numpy as jnp


def softmax_loss(scores, y):
    logp = jax.nn.log_softmax(scores, axis=1)
    return -jnp.mean(logp[jnp.arange(scores.shape[0]), y])


def logistic_loss(scores, Y):
    return jnp.sum(jnp.logaddexp(0.0, scores) - Y * scores) / scores.shape[0]


@jax.custom_vjp
def l2_regression_loss(pred, target):
    return jnp.sum((pred - target) ** 2) / pred.shape[0]


def _l2_fwd(pred, target):
    return l2_regression_loss(pred, target), (pred, target)


def _l2_bwd(res, g):
    pred, target = res
    return g * 2 * (pred - target) / pred.shape[0], None


l2_regression_loss.defvjp(_l2_fwd, _l2_bwd)


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mean = x.mean(0)
    var = x.var(0)
    return gamma * (x - mean) / jnp.sqrt(var + eps) + beta


def max_norm_project(W, c):
    n = jnp.linalg.norm(W, axis=0)
    return W * jnp.where(n > c, c / jnp.where(n > 0, n, 1.0), 1.0)
