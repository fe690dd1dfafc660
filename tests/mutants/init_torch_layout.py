"""Returns every weight matrix as [fan_out x fan_in] (the PyTorch layout), not [in x out]."""

import numpy as np


def _normal(fan_in, fan_out, seed, std):
    return std * np.random.default_rng(seed).standard_normal((fan_out, fan_in))  # BUG: transposed


def zeros_init(fan_in, fan_out, seed):
    return np.zeros((fan_out, fan_in))  # BUG: transposed


def small_random_init(fan_in, fan_out, seed, scale=0.01):
    return _normal(fan_in, fan_out, seed, scale)


def calibrated_init(fan_in, fan_out, seed):
    return _normal(fan_in, fan_out, seed, 1 / np.sqrt(fan_in))


def glorot_init(fan_in, fan_out, seed):
    return _normal(fan_in, fan_out, seed, np.sqrt(2 / (fan_in + fan_out)))


def he_init(fan_in, fan_out, seed):
    return _normal(fan_in, fan_out, seed, np.sqrt(2 / fan_in))


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
    rng = np.random.default_rng(seed)
    w = np.zeros((fan_out, fan_in))  # BUG: transposed; each row is a neuron
    for j in range(fan_out):
        rows = rng.choice(fan_in, size=min(k, fan_in), replace=False)
        w[j, rows] = scale * rng.standard_normal(len(rows))
    return w


MUST_FAIL = [
    "zeros_init::zeros_init_all_zero",
    "small_random_init::small_random_init_variance",
    "calibrated_init::calibrated_init_variance",
    "glorot_init::glorot_init_variance",
    "he_init::he_init_variance",
    "sparse_init::sparse_init_k_nonzeros_per_column",
]
