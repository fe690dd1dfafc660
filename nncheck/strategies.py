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


# ---------------------------------------------------------------- kinks (gradient checks)
# Gradient checks by finite differences are only meaningful where the function is smooth
# within a step of the input; the engine (nncheck.gradcheck) detects a kink in the stencil
# and judges the element by its one-sided slopes instead. Properties that compare with a
# numeric derivative draw inputs away from kinks; properties of the documented subgradient
# draw inputs exactly on them. Kinks of the notes: ReLU/max at 0, the hinge at margin 0,
# |w| at 0 (L1, "Regularization"), a column norm equal to c (max-norm constraint).


def kink_free_arrays(shape, *, bound: float = 10.0, kinks=(0.0,), gap: float = 1e-3):
    """float64 arrays in [-bound, bound] whose every element is more than ``gap`` away from
    every point of ``kinks`` (e.g. 0 for ReLU and |w|)."""
    points = np.asarray(kinks, dtype=np.float64)
    element = finite_floats(bound).filter(lambda v: bool(np.all(np.abs(v - points) > gap)))
    return hnp.arrays(np.float64, shape, elements=element)


@st.composite
def arrays_at_kinks(draw, shape, *, bound: float = 10.0, kinks=(0.0,), min_at_kink: int = 1):
    """float64 arrays in [-bound, bound] with at least ``min_at_kink`` elements exactly on a
    kink point (to check the documented subgradient there)."""
    arr = draw(hnp.arrays(np.float64, shape, elements=finite_floats(bound)), label="array")
    size = arr.size
    if size == 0:
        return arr
    count = draw(st.integers(min(min_at_kink, size), size), label="elements at a kink")
    where = draw(st.permutations(range(size)), label="positions")[:count]
    values = draw(st.lists(st.sampled_from(list(kinks)), min_size=count, max_size=count),
                  label="kink values")
    flat = arr.reshape(-1)
    flat[list(where)] = values
    return flat.reshape(arr.shape)


@st.composite
def weights_by_column_norm(draw, *, max_fan_in: int = 6, max_fan_out: int = 6,
                           c: float = 3.0, on_sphere: bool = False, gap: float = 1e-3):
    """[fan_in x fan_out] weights for the max-norm constraint ||w_col|| <= c.

    ``on_sphere=False``: every column norm is more than a relative ``gap`` away from c
    (inside or outside the ball). ``on_sphere=True``: at least one column has norm c
    (up to rounding), where the projection is not differentiable.
    """
    fan_in = draw(st.integers(1, max_fan_in), label="fan_in")
    fan_out = draw(st.integers(1, max_fan_out), label="fan_out")
    w = draw(hnp.arrays(np.float64, (fan_in, fan_out),
                        elements=st.floats(0.1, 5.0) | st.floats(-5.0, -0.1)), label="W")
    factors = draw(hnp.arrays(np.float64, (fan_out,),
                              elements=st.floats(0.2, 1 - gap) | st.floats(1 + gap, 3.0)),
                   label="norm / c")
    if on_sphere:
        k = draw(st.integers(0, fan_out - 1), label="column on the sphere")
        factors[k] = 1.0
    return w * (c * factors / np.linalg.norm(w, axis=0))
