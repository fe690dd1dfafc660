"""Batchnorm backward that recomputes 1 / std from the cached variance without eps."""

import numpy as np

from nncheck.reference.batchnorm import batchnorm_train  # a correct forward and its cache


def batchnorm_backward(dout, cache):
    n = dout.shape[0]
    gamma, xhat = cache["gamma"], cache["xhat"]
    with np.errstate(divide="ignore", invalid="ignore"):
        istd = 1.0 / np.sqrt(cache["var"])  # BUG: eps must be added to the variance here too
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = (gamma * istd / n) * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_backward::batchnorm_backward_matches_autograd",
    "batchnorm_backward::batchnorm_backward_degenerate_batch_is_finite",
    "batchnorm_backward::batchnorm_backward_single_row_matches_reference",
]

__all__ = ["batchnorm_train", "batchnorm_backward"]
