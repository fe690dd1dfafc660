"""Glorot that only looks at the inputs: Var(w) = 1 / n_in, so the backward pass is not balanced."""

import numpy as np


def glorot_init(fan_in, fan_out, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)  # BUG: ignores fan_out


MUST_FAIL = [
    "glorot_init::glorot_init_variance",
    "glorot_init::glorot_init_balances_forward_and_backward",
]
