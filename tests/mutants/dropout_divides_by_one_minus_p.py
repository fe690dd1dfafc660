"""Inverted dropout that rescales by 1 / (1 - p), the drop rate, instead of 1 / p."""

import numpy as np


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    with np.errstate(divide="ignore", invalid="ignore"):
        mask = (np.random.default_rng(seed).random(x.shape) < p) / (1 - p)  # BUG: / p
        return x * mask, mask


MUST_FAIL = [
    "dropout_forward::dropout_train_expectation_is_identity",
    "dropout_forward::dropout_train_values_zero_or_scaled",
    "dropout_forward::dropout_p_one_is_identity",
]
