"""Batchnorm backward whose dgamma is sum(dout), as if gamma were a bias."""

from nncheck.reference.batchnorm import batchnorm_backward_alt as _correct
from nncheck.reference.batchnorm import batchnorm_train  # a correct forward and its cache


def batchnorm_backward(dout, cache):
    dx, _, dbeta = _correct(dout, cache)
    dgamma = dout.sum(axis=0)  # BUG: should be sum(dout * xhat)
    return dx, dgamma, dbeta


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_backward::batchnorm_backward_matches_numeric",
    "batchnorm_backward::batchnorm_backward_matches_autograd",
]

__all__ = ["batchnorm_train", "batchnorm_backward"]
