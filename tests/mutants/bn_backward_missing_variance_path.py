"""Step-by-step batchnorm backward that treats the batch variance as a constant."""

from nncheck.reference.batchnorm import batchnorm_train  # a correct forward and its cache


def batchnorm_backward(dout, cache):
    n = dout.shape[0]
    gamma, istd, xhat = cache["gamma"], cache["istd"], cache["xhat"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxmu = dout * gamma * istd  # BUG: no term through var = mean((x - mu) ** 2)
    dmu = -dxmu.sum(axis=0)
    dx = dxmu + dmu / n
    return dx, dgamma, dbeta


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_backward::batchnorm_backward_matches_numeric",
    "batchnorm_backward::batchnorm_backward_matches_autograd",
    "batchnorm_backward::batchnorm_backward_dx_orthogonal_to_normalized_input",
]

__all__ = ["batchnorm_train", "batchnorm_backward"]
