"""Ignores the seed argument and draws from numpy's global random state (np.random.randn)."""

import numpy as np


def small_random_init(fan_in, fan_out, seed, scale=0.01):
    return scale * np.random.randn(fan_in, fan_out)  # BUG: seed unused  # noqa: NPY002


def calibrated_init(fan_in, fan_out, seed):
    return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)  # noqa: NPY002


def glorot_init(fan_in, fan_out, seed):
    return np.random.randn(fan_in, fan_out) * np.sqrt(2 / (fan_in + fan_out))  # noqa: NPY002


def he_init(fan_in, fan_out, seed):
    return np.random.randn(fan_in, fan_out) * np.sqrt(2 / fan_in)  # noqa: NPY002


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
    kept = min(k, fan_in)
    rows = np.argsort(np.random.rand(fan_in, fan_out), axis=0)[:kept]  # noqa: NPY002
    w = np.zeros((fan_in, fan_out))
    w[rows, np.arange(fan_out)] = scale * np.random.randn(kept, fan_out)  # noqa: NPY002
    return w


MUST_FAIL = [
    "small_random_init::small_random_init_seeded",
    "calibrated_init::calibrated_init_seeded",
    "glorot_init::glorot_init_seeded",
    "he_init::he_init_seeded",
    "sparse_init::sparse_init_seeded",
]
