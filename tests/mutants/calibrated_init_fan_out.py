"""Calibrates by the number of outputs: randn / sqrt(fan_out) where the fan-in is due."""

import numpy as np


def calibrated_init(fan_in, fan_out, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_out)  # BUG: fan_out


MUST_FAIL = [
    "calibrated_init::calibrated_init_variance",
    "calibrated_init::calibrated_init_preserves_score_variance",
]
