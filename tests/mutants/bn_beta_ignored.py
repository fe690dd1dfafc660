"""Batch normalization that scales by gamma but never shifts by beta."""

import numpy as np


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat, (x, xhat, var, gamma, eps)  # BUG: + beta forgotten


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_train::batchnorm_train_matches_reference",
    "batchnorm_train::batchnorm_train_mean_is_beta_std_is_gamma",
]
