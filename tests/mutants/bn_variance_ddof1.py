"""Batch normalization whose batch variance is the unbiased one (ddof=1), not ddof=0."""

import numpy as np


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0, ddof=1)  # BUG: the contract (and the notes' BN) use ddof=0
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (x, xhat, var, gamma, eps)


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_train::batchnorm_train_matches_reference",
    "batchnorm_train::batchnorm_train_standardizes_each_feature",
    "batchnorm_train::batchnorm_train_mean_is_beta_std_is_gamma",
    "batchnorm_train::batchnorm_train_single_row_outputs_beta",  # N = 1 gives NaN
]
