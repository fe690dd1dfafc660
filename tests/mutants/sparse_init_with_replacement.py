"""Sparse init that picks the k inputs with replacement, so a neuron can get fewer than k."""

import numpy as np


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
    rng = np.random.default_rng(seed)
    kept = min(k, fan_in)
    rows = rng.integers(0, fan_in, size=(kept, fan_out))  # BUG: duplicates possible
    w = np.zeros((fan_in, fan_out))
    w[rows, np.arange(fan_out)] = scale * rng.standard_normal((kept, fan_out))
    return w


MUST_FAIL = ["sparse_init::sparse_init_k_nonzeros_per_column"]
