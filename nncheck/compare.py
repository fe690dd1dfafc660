"""Array comparison with messages a person can act on (after torch.testing.assert_close).

An adapter's bounded expected failure (:class:`Bound`) is enforced here:
while :func:`allowing` is active, a comparison that fails its own tolerance but stays
within the bound is recorded instead of raised, and one beyond the bound raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Mismatch(AssertionError):
    """``assert_close`` rejected ``actual``: its message, plus both arrays as float64 (for
    :mod:`nncheck.hints`, which reads numbers rather than the message)."""

    def __init__(self, message: str, *, name: str, actual: np.ndarray, expected: np.ndarray):
        super().__init__(message)
        self.name, self.actual, self.expected = name, actual, expected


@dataclass(frozen=True)
class Bound:
    """How far from the contract an adapter's expected failure may be: every element that an
    invariant compares (:func:`assert_close`, :func:`assert_within`) within
    ``atol + rtol * |expected|`` of what it expects. A difference beyond it, or a failure of
    another kind, still fails (``nncheck.implementation.Deviation.bound``)."""

    atol: float
    rtol: float = 0.0

    def __post_init__(self):
        if not (self.atol >= 0 and self.rtol >= 0):
            raise ValueError(f"Bound needs atol >= 0 and rtol >= 0, not {self.atol}, {self.rtol}")

    def describe(self) -> str:
        return f"|actual - expected| <= {self.atol:.10g} + {self.rtol:.10g} * |expected|"

    def as_dict(self) -> dict[str, float]:
        return {"atol": self.atol, "rtol": self.rtol}


@dataclass
class Allowance:
    """A bound in force (see :func:`allowing`; a :class:`Bound`, or for
    :func:`nncheck.stats.allowing` a distribution) and the failures it let through."""

    bound: Any
    observed: list[str] = field(default_factory=list)


_ALLOWANCES: list[Allowance] = []


@contextmanager
def allowance_on(stack: list[Allowance], bound: Any) -> Iterator[Allowance]:
    """Put ``bound`` in force on ``stack`` (the innermost is the last) while the block runs."""
    allowance = Allowance(bound)
    stack.append(allowance)
    try:
        yield allowance
    finally:
        stack.remove(allowance)


def allowing(bound: Bound):
    """Let comparisons that fail their tolerance pass while every element is within
    ``bound``; each such comparison's message is kept in ``Allowance.observed``. A
    comparison beyond the bound raises as usual, saying so."""
    return allowance_on(_ALLOWANCES, bound)


def _within(diff: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return diff <= atol + rtol * np.abs(expected)  # NaN is never within


def assert_close(actual, expected, *, rtol: float, atol: float, name: str = "value") -> None:
    """Assert |actual - expected| <= atol + rtol * |expected| elementwise.

    The message says how many elements differ, the greatest absolute and relative
    difference, and the index and both values where the difference is greatest.
    rtol and atol are always both given: neither alone is meaningful for every scale.
    """
    try:
        _assert_close(actual, expected, rtol=rtol, atol=atol, name=name)
    except Mismatch as mismatch:
        _raise_or_allow(mismatch)


def assert_within(actual, expected, atol: np.ndarray, name: str) -> None:
    """Assert |actual - expected| <= atol elementwise, for a tolerance per element (a bound in
    force applies as in :func:`assert_close`)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(actual - expected)
        bad = ~(diff <= atol)
    if not bad.any():
        return
    i = np.unravel_index(np.argmax(np.where(bad, diff / atol, -1.0)), diff.shape)
    _raise_or_allow(Mismatch(
        f"{name}: {int(bad.sum())} of {bad.size} element(s) beyond their tolerance; worst at "
        f"index {tuple(int(j) for j in i)}: actual {float(actual[i])!r}, expected "
        f"{float(expected[i])!r}, tolerance {float(np.broadcast_to(atol, diff.shape)[i]):.3g}",
        name=name, actual=actual, expected=expected))


def _raise_or_allow(mismatch: Mismatch) -> None:
    """Raise ``mismatch``, unless the bound in force (:func:`allowing`) covers it."""
    if not _ALLOWANCES:
        raise mismatch
    allowance = _ALLOWANCES[-1]
    bound = allowance.bound
    if (mismatch.actual.shape == mismatch.expected.shape
            and _within(np.abs(mismatch.actual - mismatch.expected), mismatch.expected,
                        bound.atol, bound.rtol).all()):
        allowance.observed.append(str(mismatch))
        return
    raise Mismatch(f"{mismatch}; beyond the declared deviation's bound {bound.describe()}",
                   name=mismatch.name, actual=mismatch.actual,
                   expected=mismatch.expected) from None


def _assert_close(actual, expected, *, rtol: float, atol: float, name: str) -> None:
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise Mismatch(f"{name}: shape {actual.shape} != expected shape {expected.shape}",
                       name=name, actual=actual, expected=expected)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(actual - expected)
    bad = ~_within(diff, expected, atol, rtol)  # NaN counts as bad
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
    worst = np.unravel_index(np.nanargmax(np.where(bad, diff, -1.0)), diff.shape) if diff.ndim else ()
    raise Mismatch(
        f"{name}: {int(bad.sum())} of {bad.size} element(s) differ beyond "
        f"rtol={rtol:g}, atol={atol:g}; greatest absolute difference {np.nanmax(diff):.6g}"
        f"{f' at index {tuple(int(i) for i in worst)}' if diff.ndim else ''} "
        f"(actual {float(actual[worst])!r}, expected {float(expected[worst])!r})"
        f"{_relative(diff, expected)}",
        name=name, actual=actual, expected=expected)


def _relative(diff: np.ndarray, expected: np.ndarray) -> str:
    """", greatest relative difference r" over the elements whose expected value is a normal
    (not zero, not subnormal) float, where a relative difference means something."""
    normal = np.abs(expected) >= np.finfo(np.float64).tiny
    if not normal.any():
        return ""
    with np.errstate(invalid="ignore", over="ignore"):
        rel = diff[normal] / np.abs(expected[normal])
    return f", greatest relative difference {np.nanmax(rel):.6g}" if np.isfinite(rel).any() else ""
