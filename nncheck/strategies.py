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


# =====================================================================================
# Data Preprocessing: data matrices (centering, normalization, PCA, whitening)
# =====================================================================================
# Data are drawn from a *source*: rows x = mean + z @ mixing with z standard normal, so a
# training split and a test split come from the same distribution. The source's kind sets
# its conditioning; the seed of every numpy draw comes from Hypothesis (failures replay).

DATA_KINDS = ("well_conditioned", "ill_conditioned", "correlated", "constant_columns",
              "rank_deficient", "wide")
# Kinds whose covariance has no null direction once there are more rows than features.
FULL_RANK_KINDS = ("well_conditioned", "ill_conditioned", "correlated")


def orthogonal_matrix(d: int, seed: int) -> np.ndarray:
    """A Haar-random d x d orthogonal matrix (scipy.stats.ortho_group), seeded."""
    if d == 1:
        return np.array([[1.0 if seed % 2 else -1.0]])
    from scipy.stats import ortho_group

    return ortho_group.rvs(d, random_state=seed)


class DataSource:
    """A distribution of [D] rows: ``mean + z @ mixing`` (z ~ N(0, I_r)), some columns constant.

    ``covariance`` is the population covariance ``mixing.T @ mixing`` (0 on constant columns);
    ``max_rows`` caps the training rows (the "wide" kind keeps N < D).
    """

    def __init__(self, kind: str, mean: np.ndarray, mixing: np.ndarray, constant: np.ndarray,
                 seed: int, max_rows: int | None = None):
        self.kind, self.mean, self.mixing, self.constant = kind, mean, mixing, constant
        self.seed, self.max_rows = seed, max_rows

    @property
    def d(self) -> int:
        return self.mean.shape[0]

    @property
    def covariance(self) -> np.ndarray:
        cov = self.mixing.T @ self.mixing
        cov[self.constant, :] = 0.0
        cov[:, self.constant] = 0.0
        return cov

    def sample(self, n: int, stream: int = 0) -> np.ndarray:
        """n rows; ``stream`` separates independent splits drawn from the same source."""
        rng = np.random.default_rng([self.seed, stream])
        X = self.mean + rng.standard_normal((n, self.mixing.shape[0])) @ self.mixing
        X[:, self.constant] = self.mean[self.constant]
        return X

    def __repr__(self) -> str:
        return (f"DataSource(kind={self.kind!r}, d={self.d}, rank={self.mixing.shape[0]}, "
                f"constant={np.flatnonzero(self.constant).tolist()}, seed={self.seed})")


@st.composite
def data_sources(draw, kinds=DATA_KINDS, *, min_d: int = 1, max_d: int = 6):
    """A :class:`DataSource` of one of ``kinds``:

    * ``well_conditioned``: std per principal axis in [0.5, 2], random rotation;
    * ``ill_conditioned``: principal stds spread over 4 decades (variance condition 1e8);
    * ``correlated``: known covariance with well-separated eigenvalues (ratio <= 0.6);
    * ``constant_columns``: well-conditioned, with at least one constant feature;
    * ``rank_deficient``: rank r < D (features are linear combinations of r factors);
    * ``wide``: well-conditioned, but a split has fewer rows than features (N < D).
    """
    kind = draw(st.sampled_from(kinds), label="kind")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    lo = {"rank_deficient": 2, "constant_columns": 2, "wide": 3}.get(kind, 1)
    d = draw(st.integers(max(min_d, lo), max(max_d, lo) + (3 if kind == "wide" else 0)), label="D")
    offset = draw(st.sampled_from([0.0, 1.0, 100.0]), label="offset scale")
    scale = draw(st.sampled_from([0.1, 1.0, 10.0]), label="data scale")
    mean = offset * rng.uniform(-1.0, 1.0, d)
    rotation = orthogonal_matrix(d, seed)
    if kind == "ill_conditioned":
        stds = np.logspace(0.0, -4.0, d)
    elif kind == "correlated":
        stds = np.sqrt(0.6 ** np.arange(d) * rng.uniform(0.9, 1.0, d) ** np.arange(d))
    else:
        stds = rng.uniform(0.5, 2.0, d)
    mixing = scale * stds[:, None] * rotation
    constant = np.zeros(d, dtype=bool)
    max_rows = None
    if kind == "constant_columns":
        constant[rng.permutation(d)[: draw(st.integers(1, d), label="constant columns")]] = True
    elif kind == "rank_deficient":
        r = draw(st.integers(1, d - 1), label="rank")
        mixing = scale * rng.standard_normal((r, d))
    elif kind == "wide":
        max_rows = d - 1
    return DataSource(kind, mean, mixing, constant, seed, max_rows)


@st.composite
def data_splits(draw, kinds=DATA_KINDS, *, min_d: int = 1, max_d: int = 6, min_train: int = 2,
                max_train: int = 16, max_test: int = 6, full_rank: bool = False):
    """(source, X_train, X_test) drawn from one :func:`data_sources` source.

    ``full_rank=True`` gives more training rows than features (N >= D + 1), so the training
    covariance of a full-rank kind has no null direction.
    """
    source = draw(data_sources(kinds, min_d=min_d, max_d=max_d))
    lo = max(min_train, source.d + 1) if full_rank else min_train
    hi = max(lo, max_train if source.max_rows is None else min(max_train, source.max_rows))
    if source.max_rows is not None:
        lo = min(lo, hi)
    n_train = draw(st.integers(lo, max(lo, hi)), label="N train")
    n_test = draw(st.integers(1, max_test), label="N test")
    return source, source.sample(n_train, 0), source.sample(n_test, 1)


@st.composite
def exact_covariance_data(draw, *, max_d: int = 5, max_extra_rows: int = 8):
    """(X [N x D], mean [D], eigenvalues [D] decreasing, eigenvectors [D x D] columns).

    X's population covariance (X - mean)^T (X - mean) / N is EXACTLY
    V diag(eigenvalues) V^T (up to round-off): X is built from centered orthonormal columns.
    Eigenvalues are well separated (each <= 0.6 times the previous), so the eigenbasis is
    unique up to signs and numerically stable.
    """
    d = draw(st.integers(1, max_d), label="D")
    n = d + 1 + draw(st.integers(0, max_extra_rows), label="extra rows")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    ratio = draw(st.floats(0.1, 0.6), label="eigenvalue ratio")
    top = draw(st.sampled_from([0.01, 1.0, 100.0]), label="top eigenvalue")
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d))
    A -= A.mean(axis=0)
    Q, _ = np.linalg.qr(A)  # centered orthonormal columns
    values = top * ratio ** np.arange(d)
    vectors = orthogonal_matrix(d, (seed + 1) % 2**32)
    mean = rng.uniform(-10.0, 10.0, d)
    X = np.sqrt(n) * (Q * np.sqrt(values)) @ vectors.T + mean
    return X, mean, values, vectors


@st.composite
def image_batches(draw, *, max_n: int = 6, max_channels: int = 4, max_side: int = 3):
    """(X [N x C*H*W] images flattened channel-major, C), channels with distinct means."""
    n = draw(st.integers(1, max_n), label="N")
    c = draw(st.integers(1, max_channels), label="C")
    h = draw(st.integers(1, max_side), label="H")
    w = draw(st.integers(1, max_side), label="W")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    channel_means = 10.0 * np.arange(c) + rng.uniform(-1.0, 1.0, c)
    channel_stds = rng.uniform(0.5, 3.0, c)
    images = channel_means[None, :, None, None] + channel_stds[None, :, None, None] * \
        rng.standard_normal((n, c, h, w))
    return images.reshape(n, c * h * w), c
