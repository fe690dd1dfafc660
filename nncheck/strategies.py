"""Hypothesis strategies for the inputs of the notes' components.

Built on ``hypothesis.extra.numpy``; every array is float64 (the contract's boundary type).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def finite_floats(bound: float) -> st.SearchStrategy[float]:
    """Finite floats in [-bound, bound], without subnormals (they only add noise)."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def classification_batches(draw, *, max_n: int = 8, min_classes: int = 2, max_classes: int = 8,
                           bound: float = 10.0):
    """(scores [N x C] float64, y [N] int64 labels in 0..C-1), N >= 1."""
    n = draw(st.integers(1, max_n), label="N")
    c = draw(st.integers(min_classes, max_classes), label="C")
    scores = draw(hnp.arrays(np.float64, (n, c), elements=finite_floats(bound)), label="scores")
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)), label="y")
    return scores, y


def hinge_margins(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """f_j - f_{y_i} + 1 for j != y_i (the arguments of the multiclass hinge), flattened."""
    rows = np.arange(len(y))
    margins = scores - scores[rows, y][:, None] + 1.0
    mask = np.ones_like(scores, dtype=bool)
    mask[rows, y] = False
    return margins[mask]


def away_from_hinge_kinks(batches: st.SearchStrategy, gap: float = 1e-3) -> st.SearchStrategy:
    """Batches whose hinge margins all stay ``gap`` away from 0, the non-differentiable point."""
    return batches.filter(lambda b: np.all(np.abs(hinge_margins(*b)) > gap))


@st.composite
def margin_satisfying_batches(draw, *, max_n: int = 8, max_classes: int = 8):
    """(scores, y) where every target score beats every other by more than the margin 1."""
    scores, y = draw(classification_batches(max_n=max_n, max_classes=max_classes))
    extra = draw(st.floats(1e-6, 10.0), label="extra margin")
    rows = np.arange(len(y))
    others = scores.copy()
    others[rows, y] = -np.inf
    scores[rows, y] = others.max(axis=1) + 1.0 + extra
    return scores, y


# ----------------------------------------------------------------------------------------
# Weight Initialization (issue 4): seeds and layer sizes over a wide range
# ----------------------------------------------------------------------------------------

SEED_MAX = 2**32 - 1


def seeds() -> st.SearchStrategy[int]:
    """An integer seed for a random component (the contract's ``seed`` argument)."""
    return st.integers(0, SEED_MAX)


def wide_sizes(low: int = 1, high: int = 1024) -> st.SearchStrategy[int]:
    """A layer size spread over orders of magnitude: first an octave [2^e, 2^(e+1)), then a
    size inside it, so 3 is as likely to be drawn as 700 is to land in its own octave."""
    if not 1 <= low <= high:
        raise ValueError(f"need 1 <= low <= high, got {low}, {high}")
    octaves = st.integers(low.bit_length() - 1, high.bit_length() - 1)
    return octaves.flatmap(
        lambda e: st.integers(max(low, 2**e), min(high, 2 ** (e + 1) - 1)))


@st.composite
def layer_shapes(draw, *, max_fan: int = 1024, min_size: int = 1):
    """(fan_in, fan_out), each over a wide range, with fan_in * fan_out >= ``min_size``.

    ``min_size`` keeps the number of calls needed to pool a sample size bounded: fan_out
    is raised to ``ceil(min_size / fan_in)`` when needed (fan_in keeps its full range).
    """
    fan_in = draw(wide_sizes(1, max_fan), label="fan_in")
    floor = min(max_fan, -(-min_size // fan_in))
    fan_out = draw(wide_sizes(floor, max(floor, max_fan)), label="fan_out")
    return fan_in, fan_out


def distinct_layer_shapes(*, max_fan: int = 512, min_ratio: float = 2.0):
    """(fan_in, fan_out) with the larger at least ``min_ratio`` times the smaller, so a
    formula that confuses fan_in with fan_out changes the variance by that factor."""
    return layer_shapes(max_fan=max_fan).filter(
        lambda s: max(s) >= min_ratio * min(s))
