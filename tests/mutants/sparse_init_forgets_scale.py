"""Sparse init whose non-zero weights are unit gaussians: the small scale is forgotten."""

import numpy as np


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
    rng = np.random.default_rng(seed)
    kept = min(k, fan_in)
    rows = np.argsort(rng.random((fan_in, fan_out)), axis=0)[:kept]
    w = np.zeros((fan_in, fan_out))
    w[rows, np.arange(fan_out)] = rng.standard_normal((kept, fan_out))  # BUG: no * scale
    return w


MUST_FAIL = ["sparse_init::sparse_init_variance", "sparse_init::sparse_init_normal_shape"]
