"""JAX code with the bugs framework users make; each must be rejected (tests/test_native.py)."""

import jax
import jax.numpy as jnp


@jax.custom_vjp
def l2_regression_loss(pred, target):
    return jnp.sum((pred - target) ** 2) / pred.shape[0]


def _fwd(pred, target):
    return l2_regression_loss(pred, target), (pred, target)


def _bwd(res, g):  # forgets the 2 of d(x^2)/dx
    pred, target = res
    return g * (pred - target) / pred.shape[0], None


l2_regression_loss.defvjp(_fwd, _bwd)


def batchnorm_train(x, gamma, beta, eps=1e-5):
    """Right forward, but stop_gradient on the batch statistics breaks its backward."""
    mean = jax.lax.stop_gradient(x.mean(0))
    var = jax.lax.stop_gradient(x.var(0))
    return gamma * (x - mean) / jnp.sqrt(var + eps) + beta
