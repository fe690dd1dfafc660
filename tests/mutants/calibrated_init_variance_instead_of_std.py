"""Divides by n instead of sqrt(n): makes the std, not the variance, equal to 1/n."""

import numpy as np


def calibrated_init(fan_in, fan_out, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((fan_in, fan_out)) / fan_in  # BUG: should be sqrt(fan_in)


MUST_FAIL = [
    "calibrated_init::calibrated_init_variance",
    "calibrated_init::calibrated_init_normal_shape",
    "calibrated_init::calibrated_init_preserves_score_variance",
]
