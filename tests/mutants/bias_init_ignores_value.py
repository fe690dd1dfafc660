"""Bias init that always returns zeros, whatever constant it is asked for."""

import numpy as np


def bias_init(fan_out, value=0.0):
    return np.zeros(fan_out)  # BUG: value ignored


MUST_FAIL = ["bias_init::bias_init_constant"]
