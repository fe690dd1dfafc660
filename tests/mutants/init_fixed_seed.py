"""Seeds its generator with a hard-coded 0 instead of the seed it is given."""

import numpy as np


def _rng(seed):
    return np.random.default_rng(0)  # BUG: the seed argument is ignored


def small_random_init(fan_in, fan_out, seed, scale=0.01):
    return scale * _rng(seed).standard_normal((fan_in, fan_out))


def calibrated_init(fan_in, fan_out, seed):
    return _rng(seed).standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)


def glorot_init(fan_in, fan_out, seed):
    return _rng(seed).standard_normal((fan_in, fan_out)) * np.sqrt(2 / (fan_in + fan_out))


def he_init(fan_in, fan_out, seed):
    return _rng(seed).standard_normal((fan_in, fan_out)) * np.sqrt(2 / fan_in)


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
    rng = _rng(seed)
    kept = min(k, fan_in)
    rows = np.argsort(rng.random((fan_in, fan_out)), axis=0)[:kept]
    w = np.zeros((fan_in, fan_out))
    w[rows, np.arange(fan_out)] = scale * rng.standard_normal((kept, fan_out))
    return w


MUST_FAIL = [
    "small_random_init::small_random_init_seeded",
    "calibrated_init::calibrated_init_seeded",
    "glorot_init::glorot_init_seeded",
    "he_init::he_init_seeded",
    "sparse_init::sparse_init_seeded",
]
