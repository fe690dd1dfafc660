"""Gradient checks: an analytic gradient against central differences of the forward.

Minimal engine of the walking skeleton; the gradient-check issue grows it (directional
checks, localisation, kinks, complex step, Taylor test) behind the same entry points.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nncheck.compare import assert_close

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-8


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central differences of scalar ``f`` at ``x``; h scales with |x_i| (h = 1e-6 max(1, |x_i|))."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        h = 1e-6 * max(1.0, abs(x[idx]))
        orig = x[idx]
        x[idx] = orig + h
        up = f(x.copy())
        x[idx] = orig - h
        down = f(x.copy())
        x[idx] = orig
        grad[idx] = (up - down) / (2 * h)
    return grad


def check_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray, *,
                   name: str = "gradient", rtol: float = DEFAULT_RTOL,
                   atol: float = DEFAULT_ATOL) -> None:
    """Raise AssertionError unless ``analytic`` matches central differences of ``f`` at ``x``."""
    assert_close(analytic, numeric_gradient(f, x), rtol=rtol, atol=atol,
                 name=f"{name}: analytic vs numeric")
