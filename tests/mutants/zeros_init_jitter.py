""""Zero" init that adds a little noise (1e-3 * randn) to dodge the symmetry problem."""

import numpy as np


def zeros_init(fan_in, fan_out, seed):
    return 1e-3 * np.random.default_rng(seed).standard_normal((fan_in, fan_out))  # BUG


MUST_FAIL = ["zeros_init::zeros_init_all_zero", "zeros_init::zeros_init_symmetry_never_breaks"]
