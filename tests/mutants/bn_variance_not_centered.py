"""Batch normalization whose 'variance' is the mean of x**2, taken before centering."""

import numpy as np


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = (x**2).mean(axis=0)  # BUG: should be ((x - mu) ** 2).mean(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (x, xhat, var, gamma, eps)


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_train::batchnorm_train_matches_reference",
    "batchnorm_train::batchnorm_train_standardizes_each_feature",
    "batchnorm_train::batchnorm_train_invariant_to_feature_shift",
]
