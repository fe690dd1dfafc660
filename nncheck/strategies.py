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


# ------------------------------------------------------------ linear classifiers (issue 9)

@st.composite
def linear_classifier_batches(draw, *, max_n: int = 6, max_d: int = 5, max_classes: int = 5):
    """(W [D x C], X [N x D], y [N], reg >= 0) for a linear classifier with scores X @ W."""
    n = draw(st.integers(1, max_n), label="N")
    d = draw(st.integers(1, max_d), label="D")
    c = draw(st.integers(2, max_classes), label="C")
    W = draw(hnp.arrays(np.float64, (d, c), elements=finite_floats(2.0)), label="W")
    X = draw(hnp.arrays(np.float64, (n, d), elements=finite_floats(5.0)), label="X")
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)), label="y")
    reg = draw(st.floats(0.0, 10.0, allow_subnormal=False), label="reg")
    return W, X, y, reg


def linear_away_from_hinge_kinks(batches: st.SearchStrategy, gap: float = 1e-3):
    """Linear-classifier batches whose hinge margins of X @ W stay ``gap`` away from 0."""
    return batches.filter(lambda b: np.all(np.abs(hinge_margins(b[1] @ b[0], b[2])) > gap))
