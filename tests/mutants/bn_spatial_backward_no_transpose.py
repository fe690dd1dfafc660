"""Spatial batchnorm backward that reshapes dout to columns without moving C last."""

from nncheck.reference.batchnorm import (
    batchnorm_backward_alt,
    spatial_batchnorm_train,  # a correct forward
)


def spatial_batchnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    cols = dout.reshape(n * h * w, c)  # BUG: the forward used dout.transpose(0, 2, 3, 1)
    dx, dgamma, dbeta = batchnorm_backward_alt(cols, cache["inner"])
    return dx.reshape(n, c, h, w), dgamma, dbeta


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "spatial_batchnorm_backward::spatial_batchnorm_backward_matches_numeric",
    "spatial_batchnorm_backward::spatial_batchnorm_backward_matches_autograd",
]

__all__ = ["spatial_batchnorm_train", "spatial_batchnorm_backward"]
