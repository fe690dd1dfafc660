"""Sparse init that draws one random set of k inputs and connects every neuron to it."""

import numpy as np


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
    rng = np.random.default_rng(seed)
    kept = min(k, fan_in)
    rows = rng.choice(fan_in, size=kept, replace=False)  # BUG: drawn once, not per column
    w = np.zeros((fan_in, fan_out))
    w[rows, :] = scale * rng.standard_normal((kept, fan_out))
    return w


MUST_FAIL = ["sparse_init::sparse_init_positions_random"]
