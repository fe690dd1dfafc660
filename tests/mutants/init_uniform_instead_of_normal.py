"""Draws every "normal" scheme from a uniform of the same variance (limit sqrt(3) * std)."""

import numpy as np


def _uniform(shape, seed, std):
    limit = np.sqrt(3.0) * std  # the right variance, the wrong distribution
    return np.random.default_rng(seed).uniform(-limit, limit, size=shape)  # BUG: not normal


def small_random_init(fan_in, fan_out, seed, scale=0.01):
    return _uniform((fan_in, fan_out), seed, scale)


def calibrated_init(fan_in, fan_out, seed):
    return _uniform((fan_in, fan_out), seed, 1 / np.sqrt(fan_in))


def glorot_init(fan_in, fan_out, seed):
    return _uniform((fan_in, fan_out), seed, np.sqrt(2 / (fan_in + fan_out)))


def he_init(fan_in, fan_out, seed):
    return _uniform((fan_in, fan_out), seed, np.sqrt(2 / fan_in))


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
    rng = np.random.default_rng(seed)
    kept = min(k, fan_in)
    rows = np.argsort(rng.random((fan_in, fan_out)), axis=0)[:kept]
    w = np.zeros((fan_in, fan_out))
    w[rows, np.arange(fan_out)] = _uniform((kept, fan_out), seed + 1, scale)
    return w


MUST_FAIL = [
    "small_random_init::small_random_init_normal_shape",
    "calibrated_init::calibrated_init_normal_shape",
    "glorot_init::glorot_init_normal_shape",
    "he_init::he_init_normal_shape",
    "sparse_init::sparse_init_normal_shape",
]
