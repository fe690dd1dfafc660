"""Glorot with Var(w) = 2 / (n_in * n_out): the product of the fans instead of their sum."""

import numpy as np


def glorot_init(fan_in, fan_out, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in * fan_out))  # BUG


MUST_FAIL = [
    "glorot_init::glorot_init_variance",
    "glorot_init::glorot_init_normal_shape",
    "glorot_init::glorot_init_balances_forward_and_backward",
]
