"""Draws one random weight vector and gives it to every neuron (column)."""

import numpy as np


def small_random_init(fan_in, fan_out, seed, scale=0.01):
    column = scale * np.random.default_rng(seed).standard_normal((fan_in, 1))
    return np.tile(column, (1, fan_out))  # BUG: every neuron starts identical


MUST_FAIL = ["small_random_init::small_random_init_breaks_symmetry"]
