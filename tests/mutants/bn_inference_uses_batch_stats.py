"""Inference that normalizes with the test batch's own statistics, ignoring the running ones."""

import numpy as np


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    mu = x.mean(axis=0)  # BUG: must use running_mean and running_var at test time
    var = x.var(axis=0)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_inference::batchnorm_inference_matches_reference",
    "batchnorm_inference::batchnorm_inference_is_per_feature_affine",
    "batchnorm_inference::batchnorm_inference_on_one_row",
]
