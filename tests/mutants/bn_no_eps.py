"""Batch normalization that ignores eps and divides by the bare batch std."""

import numpy as np


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xhat = (x - mu) / np.sqrt(var)  # BUG: eps is accepted but never used
    return gamma * xhat + beta, (x, xhat, var, gamma, eps)


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_train::batchnorm_train_matches_reference",
    "batchnorm_train::batchnorm_train_degenerate_batch_is_finite",  # 0 / 0 for a constant feature
    "batchnorm_train::batchnorm_train_single_row_outputs_beta",  # and for a single row
]
