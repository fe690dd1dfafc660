"""Reference initializers of the notes' section "Weight Initialization".

Every weight matrix is [fan_in x fan_out]: scores are ``s = x @ W`` and a neuron's weight
vector is a column, so the "n" of the notes (a neuron's number of inputs) is ``fan_in``.
Every random initializer takes an integer ``seed`` and draws only from
``numpy.random.default_rng(seed)``: the same seed gives the same weights.

Nothing here is truncated or uniform: each scheme is a plain zero-mean gaussian with the
standard deviation the notes derive (see ``docs/statistics.md`` for how the suite checks it).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "bias_init",
    "calibrated_init",
    "glorot_init",
    "he_init",
    "small_random_init",
    "sparse_init",
    "zeros_init",
]


def _fans(fan_in, fan_out) -> tuple[int, int]:
    for label, value in (("fan_in", fan_in), ("fan_out", fan_out)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    return int(fan_in), int(fan_out)


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.default_rng(int(seed))


def _gaussian(fan_in, fan_out, seed, std: float) -> np.ndarray:
    fan_in, fan_out = _fans(fan_in, fan_out)
    return std * _rng(seed).standard_normal((fan_in, fan_out))


def zeros_init(fan_in, fan_out, seed) -> np.ndarray:
    """All weights zero: the pitfall of "Weight Initialization" (every neuron computes the
    same output and receives the same gradient, so symmetry never breaks). ``seed`` is
    accepted for a uniform signature and not used."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    _rng(seed)  # validate it like every other initializer
    return np.zeros((fan_in, fan_out), dtype=np.float64)


def small_random_init(fan_in, fan_out, seed, scale=0.01) -> np.ndarray:
    """``scale`` times a standard normal: std ``scale`` whatever the fan-in."""
    scale = float(scale)
    if not scale > 0 or not math.isfinite(scale):
        raise ValueError(f"scale must be positive and finite, got {scale!r}")
    return _gaussian(fan_in, fan_out, seed, scale)


def calibrated_init(fan_in, fan_out, seed) -> np.ndarray:
    """Standard normal divided by sqrt(fan_in): Var(w) = 1/n, so Var(x @ W) = Var(x) for
    zero-mean inputs ("Calibrating the variances with 1/sqrt(n)")."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _gaussian(fan_in, fan_out, seed, 1.0 / math.sqrt(fan_in))


def glorot_init(fan_in, fan_out, seed) -> np.ndarray:
    """Glorot: a normal with Var(w) = 2 / (fan_in + fan_out), the compromise between the
    forward (1/fan_in) and the backward (1/fan_out) calibration. Not truncated."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _gaussian(fan_in, fan_out, seed, math.sqrt(2.0 / (fan_in + fan_out)))


def he_init(fan_in, fan_out, seed) -> np.ndarray:
    """He: standard normal times sqrt(2 / fan_in), Var(w) = 2/n, which makes up for the
    half of the second moment a ReLU removes. Not truncated."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    return _gaussian(fan_in, fan_out, seed, math.sqrt(2.0 / fan_in))


def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01) -> np.ndarray:
    """Zeros except exactly ``min(k, fan_in)`` inputs per neuron (column), chosen uniformly
    at random without replacement, independently for every column; their weights are
    ``scale`` times a standard normal ("Sparse initialization")."""
    fan_in, fan_out = _fans(fan_in, fan_out)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    scale = float(scale)
    if not scale > 0 or not math.isfinite(scale):
        raise ValueError(f"scale must be positive and finite, got {scale!r}")
    rng = _rng(seed)
    kept = min(int(k), fan_in)
    # A uniform random k-subset of the rows for every column: the first k of a random
    # permutation of each column's row indices.
    rows = np.argsort(rng.random((fan_in, fan_out)), axis=0)[:kept]
    cols = np.broadcast_to(np.arange(fan_out), rows.shape)
    w = np.zeros((fan_in, fan_out), dtype=np.float64)
    w[rows, cols] = scale * rng.standard_normal((kept, fan_out))
    return w


def bias_init(fan_out, value=0.0) -> np.ndarray:
    """Constant biases of shape [fan_out]: 0 (the common choice) or a small constant such
    as 0.01 so that every ReLU unit starts active ("Initializing the biases")."""
    if isinstance(fan_out, bool) or not isinstance(fan_out, numbers.Integral) or fan_out < 1:
        raise ValueError(f"fan_out must be a positive integer, got {fan_out!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"value must be finite, got {value!r}")
    return np.full(int(fan_out), value, dtype=np.float64)
