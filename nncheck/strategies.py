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


# ---------------------------------------------------------------------- Batch Normalization
# Inputs of the notes' section "Batch Normalization" (properties/test_batch_normalization.py).


def bn_eps() -> st.SearchStrategy[float]:
    """eps for batch normalization: the default 1e-5, or anything from 1e-6 to 1.

    Large values make eps's place (inside the square root) visible at ordinary scales;
    much below 1e-6, a correct one-pass variance (E[x^2] - E[x]^2) of nearly constant
    features would differ from the reference by more than rounding.
    """
    return st.one_of(st.just(1e-5), st.floats(1e-6, 1.0))


@st.composite
def bn_raw_batches(draw, *, min_n: int = 1, max_n: int = 8, max_d: int = 5,
                   bound: float = 10.0):
    """x [N x D] drawn element by element: repeated values, constant features, N = 1 occur."""
    n = draw(st.integers(min_n, max_n), label="N")
    d = draw(st.integers(1, max_d), label="D")
    return draw(hnp.arrays(np.float64, (n, d), elements=finite_floats(bound)), label="x")


@st.composite
def bn_spread_batches(draw, *, min_n: int = 2, max_n: int = 8, max_d: int = 5,
                      shape: tuple[int, ...] | None = None):
    """x [N x D] (or ``shape``) of seeded gaussian columns: per-feature loc in [-10, 10]
    and scale in [0.1, 10], so every feature has a spread far above rounding noise."""
    if shape is None:
        shape = (draw(st.integers(min_n, max_n), label="N"), draw(st.integers(1, max_d), label="D"))
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    features = shape[1]
    loc = draw(hnp.arrays(np.float64, (features,), elements=st.floats(-10, 10)), label="loc")
    log_scale = draw(hnp.arrays(np.float64, (features,), elements=st.floats(-1, 1)),
                     label="log10 scale")
    z = np.random.default_rng(seed).standard_normal(shape)
    expand = (slice(None),) + (None,) * (len(shape) - 2)  # broadcast along axis 1
    return loc[expand] + 10.0 ** log_scale[expand] * z


def bn_affine_params(d: int, bound: float = 3.0) -> st.SearchStrategy:
    """(gamma [d], beta [d]) with entries in [-bound, bound]."""
    vec = hnp.arrays(np.float64, (d,), elements=finite_floats(bound))
    return st.tuples(vec, vec)


def bn_seeded_normal(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """A standard normal array from an integer seed (upstream gradients, directions)."""
    return np.random.default_rng(seed).standard_normal(shape)
