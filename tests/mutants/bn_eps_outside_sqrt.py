"""Batch normalization that adds eps to the std instead of to the variance."""

import numpy as np


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / (np.sqrt(var) + eps)  # BUG: eps belongs inside the square root
    return gamma * xhat + beta, (x, xhat, var, gamma, eps)


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_train::batchnorm_train_matches_reference",
    "batchnorm_train::batchnorm_train_standardizes_each_feature",
]
