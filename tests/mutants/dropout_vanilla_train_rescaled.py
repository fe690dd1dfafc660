"""Vanilla dropout that also divides by p at train time (scaled twice over the two modes)."""

import numpy as np


def vanilla_dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x * p, None
    mask = (np.random.default_rng(seed).random(x.shape) < p) / p  # BUG: no / p in vanilla
    return x * mask, mask


MUST_FAIL = [
    "vanilla_dropout_forward::vanilla_train_values_zero_or_x",
    "vanilla_dropout_forward::vanilla_train_expectation_equals_test_output",
]
