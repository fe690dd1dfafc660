"""He init with sqrt(1/n) where sqrt(2/n) is due (the plain 1/sqrt(n) calibration)."""

import numpy as np


def he_init(fan_in, fan_out, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((fan_in, fan_out)) * np.sqrt(1.0 / fan_in)  # BUG: 1.0, not 2.0


MUST_FAIL = [
    "he_init::he_init_variance",
    "he_init::he_init_normal_shape",
    "he_init::he_init_keeps_scale_through_deep_relu_stack",
]
