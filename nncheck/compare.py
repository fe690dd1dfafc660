"""Array comparison with messages a person can act on (after torch.testing.assert_close)."""

from __future__ import annotations

import numpy as np


class Mismatch(AssertionError):
    """``assert_close`` rejected ``actual``: its message, plus both arrays as float64 (for
    :mod:`nncheck.hints`, which reads numbers rather than the message)."""

    def __init__(self, message: str, *, name: str, actual: np.ndarray, expected: np.ndarray):
        super().__init__(message)
        self.name, self.actual, self.expected = name, actual, expected


def assert_close(actual, expected, *, rtol: float, atol: float, name: str = "value") -> None:
    """Assert |actual - expected| <= atol + rtol * |expected| elementwise.

    The message says how many elements differ, the greatest absolute and relative
    difference, and the index and both values where the difference is greatest.
    rtol and atol are always both given: neither alone is meaningful for every scale.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise Mismatch(f"{name}: shape {actual.shape} != expected shape {expected.shape}",
                       name=name, actual=actual, expected=expected)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(actual - expected)
        bad = ~(diff <= atol + rtol * np.abs(expected))  # NaN counts as bad
    if not bad.any():
        return
    nan = np.isnan(actual) & ~np.isnan(expected)
    if nan.any():  # say NaN, never a difference computed around it
        first = np.unravel_index(np.argmax(nan), nan.shape) if nan.ndim else ()
        raise Mismatch(
            f"{name}: {int(nan.sum())} of {nan.size} element(s) are NaN where a number is "
            f"expected{f', first at index {tuple(int(i) for i in first)}' if nan.ndim else ''} "
            f"(actual nan, expected {float(expected[first])!r})",
            name=name, actual=actual, expected=expected)
    rel = diff / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    worst = np.unravel_index(np.nanargmax(np.where(bad, diff, -1.0)), diff.shape) if diff.ndim else ()
    raise Mismatch(
        f"{name}: {int(bad.sum())} of {bad.size} element(s) differ beyond "
        f"rtol={rtol:g}, atol={atol:g}; greatest absolute difference {np.nanmax(diff):.6g}"
        f"{f' at index {tuple(int(i) for i in worst)}' if diff.ndim else ''} "
        f"(actual {float(actual[worst])!r}, expected {float(expected[worst])!r}), "
        f"greatest relative difference {np.nanmax(rel):.6g}",
        name=name, actual=actual, expected=expected)
