"""Small random init that returns a unit gaussian: the 0.01 is forgotten."""

import numpy as np


def small_random_init(fan_in, fan_out, seed, scale=0.01):
    return np.random.default_rng(seed).standard_normal((fan_in, fan_out))  # BUG: no * scale


MUST_FAIL = [
    "small_random_init::small_random_init_variance",
    "small_random_init::small_random_init_normal_shape",
    "small_random_init::small_random_init_vanishes_in_deep_relu_stack",
]
