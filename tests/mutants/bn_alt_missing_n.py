"""Closed-form batchnorm backward that drops the factor N in front of dout."""

from nncheck.reference.batchnorm import batchnorm_backward, batchnorm_train  # both correct


def batchnorm_backward_alt(dout, cache):
    n = dout.shape[0]
    gamma, istd, xhat = cache["gamma"], cache["istd"], cache["xhat"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = (gamma * istd / n) * (dout - dbeta - xhat * dgamma)  # BUG: should be n * dout
    return dx, dgamma, dbeta


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_backward_alt::batchnorm_backward_alt_matches_numeric",
    "batchnorm_backward_alt::batchnorm_backward_alt_matches_autograd",
    "batchnorm_backward_alt::batchnorm_backward_alt_dx_sums_to_zero",
    "batchnorm_backward_alt::batchnorm_backward_alt_dx_orthogonal_to_normalized_input",
    "batchnorm_backward_alt::batchnorm_backward_alt_agrees_with_step_by_step",
]

__all__ = ["batchnorm_train", "batchnorm_backward", "batchnorm_backward_alt"]
