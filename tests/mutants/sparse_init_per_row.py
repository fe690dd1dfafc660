"""Sparse init that gives every input (row) k connections instead of every neuron (column)."""

import numpy as np


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
    rng = np.random.default_rng(seed)
    kept = min(k, fan_out)
    # BUG: a random k-subset of the columns for every row; a neuron is a column
    cols = np.argsort(rng.random((fan_in, fan_out)), axis=1)[:, :kept]
    w = np.zeros((fan_in, fan_out))
    w[np.arange(fan_in)[:, None], cols] = scale * rng.standard_normal((fan_in, kept))
    return w


MUST_FAIL = ["sparse_init::sparse_init_k_nonzeros_per_column"]
