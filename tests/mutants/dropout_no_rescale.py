"""Inverted dropout that forgets to divide by p: E[out] = p * x at train time."""

import numpy as np


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    mask = (np.random.default_rng(seed).random(x.shape) < p).astype(np.float64)  # BUG: / p
    return x * mask, mask


MUST_FAIL = [
    "dropout_forward::dropout_train_expectation_is_identity",
    "dropout_forward::dropout_train_values_zero_or_scaled",
]
