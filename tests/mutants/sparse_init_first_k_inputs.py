"""Sparse init that always connects a neuron to the first k inputs (positions not random)."""

import numpy as np


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
    rng = np.random.default_rng(seed)
    kept = min(k, fan_in)
    w = np.zeros((fan_in, fan_out))
    w[:kept, :] = scale * rng.standard_normal((kept, fan_out))  # BUG: always rows 0..k-1
    return w


MUST_FAIL = ["sparse_init::sparse_init_positions_random"]
