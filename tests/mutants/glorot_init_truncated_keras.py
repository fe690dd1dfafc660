"""Glorot "normal" as Keras and JAX draw it: truncated at 2 std, std corrected by 0.8796.
The variance is right; the shape is not the plain normal the contract claims (no weight
lies beyond 2 std)."""

import numpy as np
from scipy.stats import truncnorm


def glorot_init(fan_in, fan_out, seed):
    std = np.sqrt(2.0 / (fan_in + fan_out)) / 0.87962566103423978
    return truncnorm.rvs(-2, 2, scale=std, size=(fan_in, fan_out),  # BUG: truncated
                         random_state=np.random.default_rng(seed))


MUST_FAIL = ["glorot_init::glorot_init_normal_shape"]
