"""Inverted dropout whose mask drops with probability p but still divides by p."""

import numpy as np


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    mask = (np.random.default_rng(seed).random(x.shape) > p) / p  # BUG: keeps with 1 - p
    return x * mask, mask


MUST_FAIL = [
    "dropout_forward::dropout_train_expectation_is_identity",
    "dropout_forward::dropout_keeps_fraction_p",
    "dropout_forward::dropout_p_one_is_identity",
]
