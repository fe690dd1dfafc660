"""Inference that divides by sqrt(running_var) and forgets eps."""

import numpy as np

from nncheck.reference.batchnorm import batchnorm_train  # a correct training forward


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    with np.errstate(divide="ignore", invalid="ignore"):
        xhat = (x - running_mean) / np.sqrt(running_var)  # BUG: sqrt(running_var + eps)
    return gamma * xhat + beta


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_inference::batchnorm_inference_matches_reference",
    "batchnorm_inference::batchnorm_inference_with_batch_statistics_equals_train",
]

__all__ = ["batchnorm_train", "batchnorm_inference"]
