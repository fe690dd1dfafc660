"""Vanilla dropout that forgets to scale by p at test time."""

import numpy as np


def vanilla_dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None  # BUG: x * p
    mask = (np.random.default_rng(seed).random(x.shape) < p).astype(np.float64)
    return x * mask, mask


MUST_FAIL = [
    "vanilla_dropout_forward::vanilla_test_scales_by_p",
    "vanilla_dropout_forward::vanilla_train_expectation_equals_test_output",
]
