"""Hypothesis strategies for the inputs of the notes' components.

Built on ``hypothesis.extra.numpy``; every array is float64 (the contract's boundary type).
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def finite_floats(bound: float) -> st.SearchStrategy[float]:
    """Finite floats in [-bound, bound], without subnormals (they only add noise)."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False)


# ------------------------------------------------------------------ sizes (issue 16, item 5)
# Real code runs on batches of hundreds of rows, and a bug can hide behind the size (a buffer
# reused only past some N, a chunked loop, an in-place update on the fast path). Every batch
# dimension is therefore drawn by :func:`sizes`, a mixture of three branches: small sizes
# about half the time (they shrink well and cost nothing), any size up to the large bound
# about a quarter of the time, and the top quarter of the range (e.g. 225..300 rows) about a
# quarter of the time. Hypothesis' own integers favour their lower end, so without the top
# branch a property of 40 examples (the ``ci`` profile) would often see no large batch at
# all; with it, missing N > 64 in 40 examples is about as likely as 0.8**40 = 1e-4.
# Arrays with more than DRAWN_ELEMENTS entries are too big to draw element by element
# (Hypothesis' buffer is a few KiB): their entries come from numpy, seeded by Hypothesis, so
# a failure still replays exactly and its size still shrinks.

LARGE_ROWS = 300
"""The largest batch (number of rows N) a strategy draws."""
DRAWN_ELEMENTS = 64
"""Arrays up to this many elements are drawn element by element by Hypothesis."""


@st.composite
def sizes(draw, small: int, large: int = LARGE_ROWS, *, low: int = 1, label: str = "N"):
    """A size in [low, large]: in [low, small] about half the time, in [small + 1, large]
    a quarter of the time, in the top quarter of [small + 1, large] a quarter of the time.

    Shrinking moves to the small branch, then to the smallest size of the middle branch
    that still fails (the top branch is drawn downward from ``large``).
    """
    if large <= small:
        return draw(st.integers(low, small), label=label)
    branch = draw(st.integers(0, 3), label=f"{label} branch")
    if branch <= 1:
        return draw(st.integers(low, small), label=label)
    if branch == 2:
        return draw(st.integers(small + 1, large), label=label)
    top = max(1, (large - small) // 4)
    return large - draw(st.integers(0, top - 1), label=f"{large} - {label}")


def _array(draw, dtype, shape, elements, sample, label: str) -> np.ndarray:
    """An array of ``shape``: drawn element by element from ``elements`` when it is small,
    else ``sample(rng, shape)`` with a numpy generator seeded by Hypothesis."""
    shape = tuple(int(s) for s in shape)
    if int(np.prod(shape)) <= DRAWN_ELEMENTS:
        return draw(hnp.arrays(dtype, shape, elements=elements), label=label)
    seed = draw(st.integers(0, 2**32 - 1), label=f"{label} seed")
    return np.asarray(sample(np.random.default_rng(seed), shape), dtype=dtype)


def float_arrays(draw, shape, bound: float, label: str) -> np.ndarray:
    """float64 entries in [-bound, bound] (large arrays: uniform)."""
    return _array(draw, np.float64, shape, finite_floats(bound),
                  lambda rng, s: rng.uniform(-bound, bound, s), label)


def grid_arrays(draw, shape, grid, label: str) -> np.ndarray:
    """float64 entries from the values of ``grid`` (ties are common)."""
    return _array(draw, np.float64, shape, st.sampled_from(grid),
                  lambda rng, s: rng.choice(np.asarray(grid, dtype=np.float64), s), label)


def label_arrays(draw, shape, classes: int, label: str = "y") -> np.ndarray:
    """int64 class labels in 0..classes-1."""
    return _array(draw, np.int64, shape, st.integers(0, classes - 1),
                  lambda rng, s: rng.integers(0, classes, s), label)


def float_matrices(shape, bound: float = 10.0, label: str = "x") -> st.SearchStrategy:
    """A strategy of float64 arrays of ``shape`` in [-bound, bound], any size
    (:func:`float_arrays`; ``hnp.arrays`` overruns Hypothesis' buffer beyond a few
    hundred elements)."""
    return st.composite(lambda draw: float_arrays(draw, shape, bound, label))()


def labels(shape, classes: int, label: str = "y") -> st.SearchStrategy:
    """A strategy of int64 class labels in 0..classes-1 of ``shape``, any size."""
    return st.composite(lambda draw: label_arrays(draw, shape, classes, label))()


def nonzero_arrays(draw, shape, low: float, high: float, label: str) -> np.ndarray:
    """float64 entries with low <= |v| <= high, either sign (large arrays: log-uniform
    magnitudes)."""
    return _array(draw, np.float64, shape, nonzero_floats(low, high),
                  lambda rng, s: rng.choice([-1.0, 1.0], s) * np.exp(
                      rng.uniform(np.log(low), np.log(high), s)), label)


def bool_arrays(draw, shape, label: str) -> np.ndarray:
    """Boolean masks (large ones: each entry True with probability 1/2)."""
    return _array(draw, np.bool_, shape, st.booleans(),
                  lambda rng, s: rng.random(s) < 0.5, label)


@st.composite
def classification_batches(draw, *, max_n: int = 8, min_classes: int = 2, max_classes: int = 8,
                           bound: float = 10.0, large_n: int = LARGE_ROWS,
                           large_classes: int = 100):
    """(scores [N x C] float64, y [N] int64 labels in 0..C-1), N >= 1.

    N is small (<= max_n) about half the time, else up to ``large_n`` (:func:`sizes`);
    C likewise up to ``large_classes`` (CIFAR-100 has 100).
    """
    n = draw(sizes(max_n, large_n), label="N")
    c = draw(sizes(max_classes, max(max_classes, large_classes), low=min_classes, label="C"))
    scores = float_arrays(draw, (n, c), bound, "scores")
    y = label_arrays(draw, (n,), c)
    return scores, y


def hinge_margins(scores: np.ndarray, y: np.ndarray) -> np.ndarray:
    """f_j - f_{y_i} + 1 for j != y_i (the arguments of the multiclass hinge), flattened."""
    rows = np.arange(len(y))
    margins = scores - scores[rows, y][:, None] + 1.0
    mask = np.ones_like(scores, dtype=bool)
    mask[rows, y] = False
    return margins[mask]


def push_off_hinge_kinks(batch, gap: float = 1e-3):
    """(scores, y) with every non-target score whose margin is within ``gap`` of 0 moved up
    by 3 gap (a move touches that one margin only), so no margin is at a kink."""
    scores, y = batch
    rows = np.arange(len(y))
    margins = scores - scores[rows, y][:, None] + 1.0
    near = np.abs(margins) <= gap
    near[rows, y] = False
    if not near.any():
        return batch
    return np.where(near, scores + 3.0 * gap, scores), y


def away_from_hinge_kinks(batches: st.SearchStrategy, gap: float = 1e-3) -> st.SearchStrategy:
    """Batches whose hinge margins all stay ``gap`` away from 0, the non-differentiable point.

    Scores at a kink are pushed off it (:func:`push_off_hinge_kinks`) rather than rejected:
    a large batch has thousands of margins, and rejection would starve the large sizes.
    """
    return batches.map(lambda b: push_off_hinge_kinks(b, gap)).filter(
        lambda b: np.all(np.abs(hinge_margins(*b)) > gap))


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

def linear_classifier_batches(*, max_n: int = 6, max_d: int = 5, max_classes: int = 5):
    """(W [D x C], X [N x D], y [N], reg >= 0) for a linear classifier with scores X @ W."""
    return linear_objective_batches(max_n=max_n, max_dims=max_d, max_classes=max_classes,
                                    w_bound=2.0, x_bound=5.0,
                                    regs=st.floats(0.0, 10.0, allow_subnormal=False))


def linear_away_from_hinge_kinks(batches: st.SearchStrategy, gap: float = 1e-3):
    """Linear-classifier batches whose hinge margins of X @ W stay ``gap`` away from 0."""
    return batches.filter(lambda b: np.all(np.abs(hinge_margins(b[1] @ b[0], b[2])) > gap))


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
# Every kind but "wide": with full_rank=True their training splits have N > D rows, so a
# PCA has D axes that the data determines (N <= D is an invariant of its own).
TALL_KINDS = tuple(k for k in DATA_KINDS if k != "wide")


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
def data_sources(draw, kinds=DATA_KINDS, *, min_d: int = 1, max_d: int = 6, large_d: int = 32):
    """A :class:`DataSource` of one of ``kinds``:

    * ``well_conditioned``: std per principal axis in [0.5, 2], random rotation;
    * ``ill_conditioned``: principal stds spread over 4 decades (variance condition 1e8);
    * ``correlated``: known covariance with well-separated eigenvalues (ratio <= 0.6);
    * ``constant_columns``: well-conditioned, with at least one constant feature;
    * ``rank_deficient``: rank r < D (features are linear combinations of r factors);
    * ``wide``: well-conditioned, but a split has fewer rows than features (N < D).

    D is at most ``max_d`` half the time, else up to ``large_d`` (:func:`sizes`).
    """
    kind = draw(st.sampled_from(kinds), label="kind")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    lo = {"rank_deficient": 2, "constant_columns": 2, "wide": 3}.get(kind, 1)
    small_d = max(max_d, lo) + (3 if kind == "wide" else 0)
    d = draw(sizes(small_d, max(small_d, large_d), low=max(min_d, lo), label="D"))
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
                max_train: int = 16, max_test: int = 6, full_rank: bool = False,
                large_train: int = LARGE_ROWS, large_test: int = 64):
    """(source, X_train, X_test) drawn from one :func:`data_sources` source.

    ``full_rank=True`` gives more training rows than features (N >= D + 1), so the training
    covariance of a full-rank kind has no null direction. The training split has up to
    ``max_train`` rows half the time, else up to ``large_train``; the test split likewise.
    """
    source = draw(data_sources(kinds, min_d=min_d, max_d=max_d))
    lo = max(min_train, source.d + 1) if full_rank else min_train
    hi = max(lo, max_train if source.max_rows is None else min(max_train, source.max_rows))
    if source.max_rows is not None:
        lo = min(lo, hi)
    top = hi if source.max_rows is not None else max(hi, large_train)
    n_train = draw(sizes(max(lo, hi), top, low=lo, label="N train"))
    n_test = draw(sizes(max_test, large_test, label="N test"))
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
    n = d + 1 + draw(sizes(max_extra_rows, LARGE_ROWS, low=0, label="extra rows"))
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
    n = draw(sizes(max_n))
    c = draw(st.integers(1, max_channels), label="C")
    h = draw(sizes(max_side, 8, label="H"))
    w = draw(sizes(max_side, 8, label="W"))
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    channel_means = 10.0 * np.arange(c) + rng.uniform(-1.0, 1.0, c)
    channel_stds = rng.uniform(0.5, 3.0, c)
    images = channel_means[None, :, None, None] + channel_stds[None, :, None, None] * \
        rng.standard_normal((n, c, h, w))
    return images.reshape(n, c * h * w), c

# ==========================================================================================
# Regularization (L2, L1, elastic net, the total objective, max norm, dropout, DropConnect)
# ==========================================================================================

# Keep probabilities for the statistical dropout properties. Keep/drop confusion cannot
# be seen at p = 0.5 (p = 1 - p), and near p = 0 or 1 the effects of the bugs that matter
# shrink to nothing, so the band where power is guaranteed is stated here and used to size
# the samples: p in [P_MIN, 0.5 - P_GAP] or [0.5 + P_GAP, P_MAX], plus p = 0.5 itself
# (where a forgotten 1/p is still visible). p = 1 has its own exact properties.
P_MIN, P_MAX, P_GAP = 0.05, 0.95, 0.05


SEED_MAX = 2**32 - 1


def seeds() -> st.SearchStrategy[int]:
    """Integer seeds for random components (drawn by Hypothesis, so failures replay)."""
    return st.integers(0, SEED_MAX)


def reg_strengths(max_value: float = 10.0) -> st.SearchStrategy[float]:
    """Regularization strengths lambda in {0} U [1e-4, max_value]."""
    return st.one_of(st.just(0.0), st.floats(1e-4, max_value))


def nonzero_floats(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats with low <= |v| <= high, either sign."""
    mag = st.floats(low, high, allow_subnormal=False)
    return st.tuples(mag, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


@st.composite
def weight_matrices(draw, *, max_side: int = 6, bound: float = 10.0, gap: float = 0.0,
                    large_fan_in: int = LARGE_ROWS, large_fan_out: int = 100):
    """Weights [fan_in x fan_out]; with ``gap`` > 0 every |w| >= gap (away from the kink of
    |w| at 0, where central differences of the L1 penalty are meaningless). Sides up to
    ``max_side`` half the time, else up to ``large_fan_in`` x ``large_fan_out``."""
    fan_in = draw(sizes(max_side, large_fan_in, label="fan_in"))
    fan_out = draw(sizes(max_side, large_fan_out, label="fan_out"))
    if gap > 0:
        return nonzero_arrays(draw, (fan_in, fan_out), gap, bound, "W")
    return float_arrays(draw, (fan_in, fan_out), bound, "W")


@st.composite
def weights_with_zeros(draw, *, max_side: int = 6):
    """Weights with at least one entry exactly 0 (where the L1 subgradient is pinned)."""
    W = draw(weight_matrices(max_side=max_side))
    zeros = bool_arrays(draw, W.shape, "zero pattern")
    zeros.flat[draw(st.integers(0, W.size - 1), label="forced zero")] = True
    return np.where(zeros, 0.0, W)


@st.composite
def max_norm_cases(draw, *, max_side: int = 6, subnormal: bool = False):
    """(W, c): columns of W with norms on both sides of the radius c (never within 1e-6
    relative of c, so "inside" and "outside" are unambiguous); some columns may be 0.

    No entry of W is subnormal (|w| < 2.2e-308, which rescaling can produce): that regime
    has an invariant of its own. ``subnormal=True`` draws it: at least one column whose
    entries are all subnormal (deep inside the ball), beside the ordinary ones."""
    fan_in = draw(sizes(max_side, LARGE_ROWS, label="fan_in"))
    fan_out = draw(sizes(max_side, 100, label="fan_out"))
    c = draw(st.floats(0.1, 10.0), label="c")
    directions = float_arrays(draw, (fan_in, fan_out), 1.0, "directions")
    ratios = _array(draw, np.float64, (fan_out,), st.one_of(
        st.floats(0.0, 1.0 - 1e-6), st.floats(1.0 + 1e-6, 1e3)),
        lambda rng, s: np.where(rng.random(s) < 0.5, rng.uniform(0.0, 1.0 - 1e-6, s),
                                np.exp(rng.uniform(np.log(1.0 + 1e-6), np.log(1e3), s))),
        "norm / c")
    norms = np.linalg.norm(directions, axis=0)
    scale = np.where(norms > 0, ratios * c / np.where(norms > 0, norms, 1.0), 0.0)
    W = directions * scale
    W[np.abs(W) < np.finfo(np.float64).tiny] = 0.0
    if subnormal:
        columns = draw(st.lists(st.integers(0, fan_out - 1), min_size=1, max_size=fan_out,
                                unique=True), label="subnormal columns")
        size = draw(st.sampled_from([1e-320, 1e-315, 1e-310]), label="subnormal size")
        W[:, columns] = np.where(directions[:, columns] != 0.0,
                                 np.sign(directions[:, columns]) * size, 0.0)
    # rescaling rounds: reject the (rare) draw whose computed norm lands too close to c
    final = np.linalg.norm(W, axis=0)
    assume(np.all((final == 0) | (np.abs(final / c - 1.0) > 1e-7)))
    return W, c


def keep_probabilities() -> st.SearchStrategy[float]:
    """Keep probabilities p over (0, 1] for the exact (non-statistical) dropout properties:
    [P_MIN, 1] plus the end point 1."""
    return st.one_of(st.just(1.0), st.floats(P_MIN, 1.0))


def distinguishable_keep_probabilities() -> st.SearchStrategy[float]:
    """Keep probabilities for statistical properties: p = 0.5, or p in [P_MIN, 0.5 - P_GAP]
    or [0.5 + P_GAP, P_MAX], where keep/drop confusion changes the keep rate by >= 2*P_GAP."""
    return st.one_of(st.just(0.5), st.floats(P_MIN, 0.5 - P_GAP), st.floats(0.5 + P_GAP, P_MAX))


@st.composite
def dropout_inputs(draw, *, max_dims: int = 4, max_side: int = 5, bound: float = 1e3):
    """Activations of any shape with 1..max_dims axes (a hidden layer, or the input layer:
    X [N x D], images [N, C, H, W]); every |x| in [1e-3, bound] so a dropped unit (0) and
    a kept one (x / p) can always be told apart."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=max_dims, max_side=max_side),
                 label="shape")
    shape = (draw(sizes(max_side, LARGE_ROWS, label="N")), *shape[1:])
    return nonzero_arrays(draw, shape, 1e-3, bound, "x")


@st.composite
def tiled_activations(draw, *, n_units: int, max_width: int = 8):
    """[M x D] activations: one row of D nonzero values drawn by Hypothesis, repeated for
    M = ceil(n_units / D) rows (M even), so a statistic pools at least n_units units."""
    width = draw(st.integers(1, max_width), label="D")
    row = draw(hnp.arrays(np.float64, (width,), elements=nonzero_floats(1e-2, 1e2)),
               label="row")
    rows = -(-n_units // width)
    rows += rows % 2
    return np.tile(row, (rows, 1))


@st.composite
def network_params(draw, *, max_side: int = 4):
    """(data_loss, params, grads) of a small two-layer net: W1 [D x H], b1 [H], W2 [H x C],
    b2 [C], sometimes batchnorm's gamma1 / beta1 [H] (never regularized)."""
    d, h, c = (draw(sizes(max_side, 100, label=k)) for k in ("D", "H", "C"))
    shapes = {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}
    if draw(st.booleans(), label="with batchnorm"):
        shapes.update(gamma1=(h,), beta1=(h,))

    def arrays(label):
        return {k: float_arrays(draw, s, 10.0, f"{label} {k}") for k, s in shapes.items()}

    params = arrays("param")
    grads = arrays("grad")
    data_loss = draw(st.floats(0.0, 100.0), label="data_loss")
    return data_loss, params, grads


@st.composite
def probe_weights(draw, side: int):
    """A [side x side] weight matrix with no zero entry, tiled from a block of at most 4 x 4
    drawn by Hypothesis: probed with x = I, a DropConnect layer shows its effective
    (masked, rescaled) weights, side**2 of them."""
    rows, cols = draw(st.integers(1, 4), label="block rows"), draw(st.integers(1, 4),
                                                                   label="block cols")
    block = draw(hnp.arrays(np.float64, (rows, cols), elements=nonzero_floats(1e-2, 1e2)),
                 label="W block")
    return np.tile(block, (-(-side // rows), -(-side // cols)))[:side, :side]

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
def bn_raw_batches(draw, *, min_n: int = 2, max_n: int = 8, max_d: int = 5,
                   bound: float = 10.0, large_n: int = LARGE_ROWS, large_d: int = 64):
    """x [N x D]; small ones drawn element by element (repeated values and constant
    features occur), large ones (N up to ``large_n``, D up to ``large_d``) uniform.

    N = 1 is a regime of its own (``min_n=1, max_n=1``): some libraries refuse it in
    training mode, which must not hide how they do on every other batch."""
    n = draw(sizes(max_n, large_n if max_n > min_n else max_n, low=min_n))
    d = draw(sizes(max_d, large_d, label="D"))
    return float_arrays(draw, (n, d), bound, "x")


@st.composite
def bn_spread_batches(draw, *, min_n: int = 2, max_n: int = 8, max_d: int = 5,
                      shape: tuple[int, ...] | None = None, large_n: int = LARGE_ROWS,
                      large_d: int = 64):
    """x [N x D] (or ``shape``) of seeded gaussian columns: per-feature loc in [-10, 10]
    and scale in [0.1, 10], so every feature has a spread far above rounding noise.
    N goes up to ``large_n`` and D up to ``large_d`` (:func:`sizes`)."""
    if shape is None:
        shape = (draw(sizes(max_n, large_n, low=min_n)), draw(sizes(max_d, large_d, label="D")))
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

# ===================================================================== Loss functions (issue 8)
# Inputs of the losses of the notes' section "Loss functions": multiclass scores with and
# without ties, labels that cover every class, label trees of random shape for the
# hierarchical softmax, attribute matrices in an explicitly named label encoding, regression
# targets with outliers, small structured-prediction problems, linear-classifier objectives.

# Scores drawn from this grid tie often, and land exactly on hinge kinks often.
TIE_GRID = (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0)


@st.composite
def tied_classification_batches(draw, *, max_n: int = 8, max_classes: int = 6):
    """(scores, y) whose scores come from a coarse grid: ties and exact kinks are common."""
    n = draw(sizes(max_n))
    c = draw(sizes(max_classes, 100, low=2, label="C"))
    scores = grid_arrays(draw, (n, c), TIE_GRID, "tied scores")
    y = label_arrays(draw, (n,), c)
    return scores, y


@st.composite
def every_class_batches(draw, *, max_classes: int = 6, max_extra: int = 4, bound: float = 10.0):
    """(scores, y) with N >= C and every class 0..C-1 present among the labels (large
    batches: up to 100 classes and LARGE_ROWS rows)."""
    c = draw(sizes(max_classes, 100, low=2, label="C"))
    if c <= max_classes:
        extra = draw(st.lists(st.integers(0, c - 1), max_size=max_extra), label="extra labels")
        y = np.array(draw(st.permutations([*range(c), *extra]), label="y"), dtype=np.int64)
    else:
        n = draw(st.integers(c, max(c, LARGE_ROWS)), label="N")
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="y seed"))
        y = rng.permutation(np.concatenate([np.arange(c), rng.integers(0, c, n - c)]))
    scores = float_arrays(draw, (len(y), c), bound, "scores")
    return scores, y


def push_off_crammer_singer_kinks(batch, gap: float = 1e-3):
    """(scores, y) moved off the kinks of the Crammer-Singer hinge: a runner-up within
    ``gap`` of the best non-target score is pushed down by 3 gap, then a target score whose
    hinge argument is within ``gap`` of 0 is moved up by 3 gap."""
    scores, y = batch
    if scores.shape[1] < 2:
        return batch
    scores = scores.copy()
    rows = np.arange(len(y))
    others = scores.copy()
    others[rows, y] = -np.inf
    if scores.shape[1] > 2:
        order = np.argsort(others, axis=1)
        best, second = order[:, -1], order[:, -2]
        tied = others[rows, best] - others[rows, second] <= gap
        # every score tied with the best one goes down (several may tie)
        close = (others[rows, best][:, None] - others <= gap) & tied[:, None]
        close[rows, best] = False
        scores[close] -= 3.0 * gap
        others[close] -= 3.0 * gap
    hinge = 1.0 + others.max(axis=1) - scores[rows, y]
    near = np.abs(hinge) <= gap
    scores[rows[near], y[near]] += 3.0 * gap
    return scores, y


def away_from_crammer_singer_kinks(batches: st.SearchStrategy, gap: float = 1e-3):
    """Batches at least ``gap`` from every Crammer-Singer kink (pushed off, then checked)."""
    return batches.map(lambda b: push_off_crammer_singer_kinks(b, gap)).filter(
        lambda b: crammer_singer_kink_distance(*b) > gap)


def multiclass_batches() -> st.SearchStrategy:
    """Scores without ties, with ties, and with every class among the labels."""
    return st.one_of(classification_batches(), tied_classification_batches(),
                     every_class_batches())


def crammer_singer_kink_distance(scores: np.ndarray, y: np.ndarray) -> float:
    """How far (scores, y) is from a kink of the Crammer-Singer hinge.

    Kinks: the hinge argument 1 + max_{j != y} f_j - f_y is 0, or the two highest
    non-target scores tie (the max switches class).
    """
    rows = np.arange(len(y))
    others = scores.astype(np.float64).copy()
    others[rows, y] = -np.inf
    top = np.sort(others, axis=1)[:, ::-1]
    hinge = 1.0 + top[:, 0] - scores[rows, y]
    gaps = top[:, 0] - top[:, 1] if scores.shape[1] > 2 else np.full(len(y), np.inf)
    return float(min(np.abs(hinge).min(), gaps.min()))


@st.composite
def label_trees(draw, *, min_classes: int = 2, max_classes: int = 10, large_classes: int = 10):
    """A binary label tree of random shape as paths: ``tree[c]`` = [(node, direction), ...].

    Leaves are the labels 0..C-1 in random order; the C - 1 inner nodes get randomly
    permuted indices, so an implementation cannot rely on any numbering scheme.
    """
    c = draw(sizes(max_classes, max(max_classes, large_classes), low=min_classes, label="C"))
    labels = draw(st.permutations(range(c)), label="leaf order")

    def build(leaves):
        if len(leaves) == 1:
            return leaves[0]
        cut = draw(st.integers(1, len(leaves) - 1))
        return (build(leaves[:cut]), build(leaves[cut:]))

    from nncheck.reference.losses import tree_paths

    paths = tree_paths(build(list(labels)))
    renumber = draw(st.permutations(range(c - 1)), label="node numbering")
    return [[(renumber[node], direction) for node, direction in path] for path in paths]


@st.composite
def hierarchical_batches(draw, *, max_n: int = 6, max_classes: int = 10, bound: float = 10.0,
                         large_classes: int = 64):
    """(node_scores [N x (C-1)], y [N], tree) with a tree of random shape."""
    tree = draw(label_trees(max_classes=max_classes, large_classes=large_classes), label="tree")
    c = len(tree)
    n = draw(sizes(max_n))
    node_scores = float_arrays(draw, (n, c - 1), bound, "node_scores")
    y = label_arrays(draw, (n,), c)
    return node_scores, y, tree


def caterpillar_tree(classes: int) -> list:
    """The deepest tree: label c hangs off inner node c (depth c + 1); the last two share one."""
    from nncheck.reference.losses import tree_paths

    nested = classes - 1
    for label in range(classes - 2, -1, -1):
        nested = (label, nested)
    return tree_paths(nested)


ENCODINGS = {"pm1": (-1.0, 1.0), "01": (0.0, 1.0)}


def check_encoding(Y: np.ndarray, encoding: str) -> np.ndarray:
    """Raise ValueError unless every entry of ``Y`` belongs to ``encoding`` ('pm1' or '01')."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown label encoding {encoding!r}; use 'pm1' or '01'")
    if not np.isin(Y, ENCODINGS[encoding]).all():
        raise ValueError(f"labels {np.unique(Y)} are not in the {encoding} encoding")
    return Y


def attribute_labels(shape, *, encoding: str) -> st.SearchStrategy[np.ndarray]:
    """A float64 label matrix in exactly one encoding, which must be named: 'pm1' or '01'."""
    check_encoding(np.zeros(0), encoding)
    values = ENCODINGS[encoding]
    return st.composite(lambda draw: grid_arrays(draw, shape, values, "labels"))().map(
        lambda Y: check_encoding(Y, encoding))


@st.composite
def attribute_batches(draw, *, encoding: str, max_n: int = 6, max_attributes: int = 6,
                      bound: float = 10.0, ties: bool = False):
    """(scores [N x C], Y [N x C]) with Y in the named encoding; ``ties`` uses TIE_GRID."""
    n = draw(sizes(max_n))
    c = draw(sizes(max_attributes, 40, label="C"))
    scores = (grid_arrays(draw, (n, c), TIE_GRID, "scores") if ties
              else float_arrays(draw, (n, c), bound, "scores"))
    Y = draw(attribute_labels((n, c), encoding=encoding), label=f"Y ({encoding})")
    return scores, Y


def push_off_attribute_hinge_kinks(batch, gap: float = 1e-3):
    """(scores, Y in {-1, +1}) with every y_ij f_j within ``gap`` of 1 moved to 1 + 3 gap."""
    scores, Y = batch
    near = np.abs(1.0 - Y * scores) <= gap
    if not near.any():
        return batch
    return np.where(near, Y * (1.0 + 3.0 * gap), scores), Y


def away_from_attribute_hinge_kinks(batches: st.SearchStrategy, gap: float = 1e-3):
    """Attribute batches (pm1) with every y_ij f_j more than ``gap`` from 1 (pushed off)."""
    return batches.map(lambda b: push_off_attribute_hinge_kinks(b, gap)).filter(
        lambda b: bool(np.all(np.abs(1.0 - b[1] * b[0]) > gap)))


@st.composite
def attribute_margin_batches(draw, *, max_n: int = 6, max_attributes: int = 6,
                             at_kink: bool = False):
    """(scores, Y in {-1, +1}) with y_ij f_j > 1 everywhere (by at least 1e-6); with
    ``at_kink``, y_ij f_j >= 1 with equality on at least one entry (the hinge's kink, where
    the subgradient is a choice)."""
    _, Y = draw(attribute_batches(encoding="pm1", max_n=max_n, max_attributes=max_attributes))
    low = 0.0 if at_kink else 1e-6
    excess = _array(draw, np.float64, Y.shape,
                    st.one_of(st.just(low), st.floats(low, 10.0)),
                    lambda rng, s: np.where(rng.random(s) < 0.2, low, rng.uniform(low, 10, s)),
                    "excess margin")
    if at_kink:
        excess = excess.copy()
        excess.flat[draw(st.integers(0, excess.size - 1), label="entry at the kink")] = 0.0
    return Y * (1.0 + excess), Y


@st.composite
def regression_batches(draw, *, max_n: int = 6, max_dims: int = 5, bound: float = 10.0,
                       outlier: float = 1e4, ties: bool = False):
    """(pred, target) [N x D]; some targets are outliers of size up to ``outlier`` (0: none).

    With ``ties``, some predictions equal their target exactly (the kink of the L1 loss).
    """
    n = draw(sizes(max_n))
    d = draw(sizes(max_dims, 20, label="D"))
    pred = float_arrays(draw, (n, d), bound, "pred")
    target = float_arrays(draw, (n, d), bound, "target")
    if outlier:
        far = bool_arrays(draw, (n, d), "outliers")
        big = _array(draw, np.float64, (n, d), st.one_of(
            st.floats(-outlier, -100.0), st.floats(100.0, outlier)),
            lambda rng, s: rng.choice([-1.0, 1.0], s) * np.exp(
                rng.uniform(np.log(100.0), np.log(max(outlier, 100.0)), s)), "outlier values")
        target = np.where(far, big, target)
    if ties:
        same = bool_arrays(draw, (n, d), "ties")
        pred = np.where(same, target, pred)
    return pred, target


def has_l1_kink(pred: np.ndarray, target: np.ndarray, gap: float = 1e-3) -> bool:
    """True when some prediction is within ``gap`` of its target (|f - y| not smooth there)."""
    return bool(np.any(np.abs(pred - target) <= gap * np.maximum(1.0, np.abs(target))))


def push_off_l1_kinks(batch, gap: float = 1e-3):
    """(pred, target) with every prediction within ``gap`` (relative) of its target moved
    3 gap (relative) away from it."""
    pred, target = batch
    width = gap * np.maximum(1.0, np.abs(target))
    near = np.abs(pred - target) <= width
    if not near.any():
        return batch
    return np.where(near, target + 3.0 * width, pred), target


def away_from_l1_kinks(batches: st.SearchStrategy, gap: float = 1e-3) -> st.SearchStrategy:
    """Regression batches without a prediction within ``gap`` of its target (pushed off)."""
    return batches.map(lambda b: push_off_l1_kinks(b, gap)).filter(
        lambda b: not has_l1_kink(*b, gap))


@st.composite
def structured_batches(draw, *, max_n: int = 4, max_length: int = 4, max_labels: int = 3,
                       bound: float = 5.0, ties: bool = False, large_n: int = LARGE_ROWS):
    """(unary [N x T x K], pairwise [K x K], y [N x T]) over a small sequence space.

    Every label sequence of length T over K labels is a candidate (at most 3^4 = 81).
    ``ties`` draws scores from TIE_GRID, where several sequences often share the max.
    """
    n = draw(sizes(max_n, large_n))
    t = draw(st.integers(1, max_length), label="T")
    k = draw(st.integers(2, max_labels), label="K")

    def scores(shape, label):
        return (grid_arrays(draw, shape, TIE_GRID, label) if ties
                else float_arrays(draw, shape, bound, label))

    unary = scores((n, t, k), "unary")
    pairwise = scores((k, k), "pairwise")
    y = label_arrays(draw, (n, t), k)
    return unary, pairwise, y


@st.composite
def structured_margin_batches(draw, *, max_n: int = 3):
    """Structured batches whose true sequences are boosted: the margin holds or nearly holds.

    The boost is added to the unary score of every true label; around T it decides
    whether every wrong sequence is beaten by its Hamming distance, so both outcomes occur.
    """
    unary, pairwise, y = draw(st.one_of(structured_batches(max_n=max_n),
                                        structured_batches(max_n=max_n, ties=True)))
    boost = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0]), label="boost")
    unary = unary.copy()
    n, t = y.shape
    unary[np.arange(n)[:, None], np.arange(t)[None, :], y] += boost
    return unary, pairwise, y


def structured_max_gap(unary: np.ndarray, pairwise: np.ndarray, y: np.ndarray) -> float:
    """Smallest gap between the best and second-best loss-augmented sequence scores.

    The structured hinge is differentiable only where the maximiser is unique (gap > 0).
    """
    from nncheck.reference.losses import all_sequences, batch_sequence_scores

    seqs = all_sequences(y.shape[1], unary.shape[2])
    aug = np.sort(batch_sequence_scores(unary, pairwise, seqs)
                  + (seqs[None, :, :] != y[:, None, :]).sum(axis=2), axis=1)
    return float((aug[:, -1] - aug[:, -2]).min())


@st.composite
def linear_objective_batches(draw, *, max_n: int = 6, max_dims: int = 5, max_classes: int = 5,
                             w_bound: float = 3.0, x_bound: float = 3.0, regs=None):
    """(W [D x C], X [N x D], y [N], reg >= 0) for the total objective of a softmax classifier
    (and, with other bounds, for the linear classifiers of the course API)."""
    n = draw(sizes(max_n))
    d = draw(sizes(max_dims, 100, label="D"))
    c = draw(sizes(max_classes, 20, low=2, label="C"))
    W = float_arrays(draw, (d, c), w_bound, "W")
    X = float_arrays(draw, (n, d), x_bound, "X")
    y = label_arrays(draw, (n,), c)
    if regs is None:
        regs = st.one_of(st.just(0.0), st.floats(1e-3, 10.0))
    reg = draw(regs, label="reg")
    return W, X, y, reg
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
# ----------------------------------------------------------------------------------------
# Weight Initialization (issue 4): seeds and layer sizes over a wide range
# ----------------------------------------------------------------------------------------

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
