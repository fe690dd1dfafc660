"""He init with np.random.rand (uniform on [0, 1)) where randn (standard normal) is meant."""

import numpy as np


def he_init(fan_in, fan_out, seed):
    rng = np.random.default_rng(seed)
    return rng.random((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)  # BUG: rand, not randn


MUST_FAIL = ["he_init::he_init_variance", "he_init::he_init_normal_shape"]
