"""Step-by-step batchnorm backward that never back-propagates through the batch mean."""

from nncheck.reference.batchnorm import batchnorm_train  # a correct forward and its cache


def batchnorm_backward(dout, cache):
    n = dout.shape[0]
    gamma, xmu, std, istd, xhat = (cache[k] for k in ("gamma", "xmu", "std", "istd", "xhat"))
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    distd = (dxhat * xmu).sum(axis=0)
    dstd = -distd / std**2
    dvar = 0.5 * dstd / std
    dx = dxhat * istd + 2.0 * xmu * dvar / n  # BUG: the mean node's term -sum(dxmu) / N is missing
    return dx, dgamma, dbeta


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_backward::batchnorm_backward_matches_numeric",
    "batchnorm_backward::batchnorm_backward_matches_autograd",
    "batchnorm_backward::batchnorm_backward_dx_sums_to_zero",
]

__all__ = ["batchnorm_train", "batchnorm_backward"]
