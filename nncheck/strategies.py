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
    n = draw(st.integers(1, max_n), label="N")
    c = draw(st.integers(2, max_classes), label="C")
    scores = draw(hnp.arrays(np.float64, (n, c), elements=st.sampled_from(TIE_GRID)),
                  label="tied scores")
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)), label="y")
    return scores, y


@st.composite
def every_class_batches(draw, *, max_classes: int = 6, max_extra: int = 4, bound: float = 10.0):
    """(scores, y) with N >= C and every class 0..C-1 present among the labels."""
    c = draw(st.integers(2, max_classes), label="C")
    extra = draw(st.lists(st.integers(0, c - 1), max_size=max_extra), label="extra labels")
    y = np.array(draw(st.permutations([*range(c), *extra]), label="y"), dtype=np.int64)
    scores = draw(hnp.arrays(np.float64, (len(y), c), elements=finite_floats(bound)),
                  label="scores")
    return scores, y


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
def label_trees(draw, *, min_classes: int = 2, max_classes: int = 10):
    """A binary label tree of random shape as paths: ``tree[c]`` = [(node, direction), ...].

    Leaves are the labels 0..C-1 in random order; the C - 1 inner nodes get randomly
    permuted indices, so an implementation cannot rely on any numbering scheme.
    """
    c = draw(st.integers(min_classes, max_classes), label="C")
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
def hierarchical_batches(draw, *, max_n: int = 6, max_classes: int = 10, bound: float = 10.0):
    """(node_scores [N x (C-1)], y [N], tree) with a tree of random shape."""
    tree = draw(label_trees(max_classes=max_classes), label="tree")
    c = len(tree)
    n = draw(st.integers(1, max_n), label="N")
    node_scores = draw(hnp.arrays(np.float64, (n, c - 1), elements=finite_floats(bound)),
                       label="node_scores")
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)), label="y")
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
    return hnp.arrays(np.float64, shape, elements=st.sampled_from(values)).map(
        lambda Y: check_encoding(Y, encoding))


@st.composite
def attribute_batches(draw, *, encoding: str, max_n: int = 6, max_attributes: int = 6,
                      bound: float = 10.0, ties: bool = False):
    """(scores [N x C], Y [N x C]) with Y in the named encoding; ``ties`` uses TIE_GRID."""
    n = draw(st.integers(1, max_n), label="N")
    c = draw(st.integers(1, max_attributes), label="C")
    elements = st.sampled_from(TIE_GRID) if ties else finite_floats(bound)
    scores = draw(hnp.arrays(np.float64, (n, c), elements=elements), label="scores")
    Y = draw(attribute_labels((n, c), encoding=encoding), label=f"Y ({encoding})")
    return scores, Y


@st.composite
def attribute_margin_batches(draw, *, max_n: int = 6, max_attributes: int = 6):
    """(scores, Y in {-1, +1}) with y_ij f_j >= 1 everywhere (sometimes exactly 1)."""
    _, Y = draw(attribute_batches(encoding="pm1", max_n=max_n, max_attributes=max_attributes))
    excess = draw(hnp.arrays(np.float64, Y.shape, elements=st.one_of(
        st.just(0.0), st.floats(0.0, 10.0))), label="excess margin")
    return Y * (1.0 + excess), Y


@st.composite
def regression_batches(draw, *, max_n: int = 6, max_dims: int = 5, bound: float = 10.0,
                       outlier: float = 1e4, ties: bool = False):
    """(pred, target) [N x D]; some targets are outliers of size up to ``outlier`` (0: none).

    With ``ties``, some predictions equal their target exactly (the kink of the L1 loss).
    """
    n = draw(st.integers(1, max_n), label="N")
    d = draw(st.integers(1, max_dims), label="D")
    pred = draw(hnp.arrays(np.float64, (n, d), elements=finite_floats(bound)), label="pred")
    target = draw(hnp.arrays(np.float64, (n, d), elements=finite_floats(bound)), label="target")
    if outlier:
        far = draw(hnp.arrays(np.bool_, (n, d)), label="outliers")
        big = draw(hnp.arrays(np.float64, (n, d), elements=st.one_of(
            st.floats(-outlier, -100.0), st.floats(100.0, outlier))), label="outlier values")
        target = np.where(far, big, target)
    if ties:
        same = draw(hnp.arrays(np.bool_, (n, d)), label="ties")
        pred = np.where(same, target, pred)
    return pred, target


def has_l1_kink(pred: np.ndarray, target: np.ndarray, gap: float = 1e-3) -> bool:
    """True when some prediction is within ``gap`` of its target (|f - y| not smooth there)."""
    return bool(np.any(np.abs(pred - target) <= gap * np.maximum(1.0, np.abs(target))))


@st.composite
def structured_batches(draw, *, max_n: int = 4, max_length: int = 4, max_labels: int = 3,
                       bound: float = 5.0, ties: bool = False):
    """(unary [N x T x K], pairwise [K x K], y [N x T]) over a small sequence space.

    Every label sequence of length T over K labels is a candidate (at most 3^4 = 81).
    ``ties`` draws scores from TIE_GRID, where several sequences often share the max.
    """
    n = draw(st.integers(1, max_n), label="N")
    t = draw(st.integers(1, max_length), label="T")
    k = draw(st.integers(2, max_labels), label="K")
    elements = st.sampled_from(TIE_GRID) if ties else finite_floats(bound)
    unary = draw(hnp.arrays(np.float64, (n, t, k), elements=elements), label="unary")
    pairwise = draw(hnp.arrays(np.float64, (k, k), elements=elements), label="pairwise")
    y = draw(hnp.arrays(np.int64, (n, t), elements=st.integers(0, k - 1)), label="y")
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
    from nncheck.reference.losses import all_sequences, sequence_scores

    seqs = all_sequences(y.shape[1], unary.shape[2])
    gap = np.inf
    for i in range(len(y)):
        aug = np.sort(sequence_scores(unary[i], pairwise, seqs) + (seqs != y[i]).sum(axis=1))
        gap = min(gap, aug[-1] - aug[-2])
    return float(gap)


@st.composite
def linear_objective_batches(draw, *, max_n: int = 6, max_dims: int = 5, max_classes: int = 5):
    """(W [D x C], X [N x D], y [N], reg >= 0) for the total objective of a softmax classifier."""
    n = draw(st.integers(1, max_n), label="N")
    d = draw(st.integers(1, max_dims), label="D")
    c = draw(st.integers(2, max_classes), label="C")
    W = draw(hnp.arrays(np.float64, (d, c), elements=finite_floats(3.0)), label="W")
    X = draw(hnp.arrays(np.float64, (n, d), elements=finite_floats(3.0)), label="X")
    y = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)), label="y")
    reg = draw(st.one_of(st.just(0.0), st.floats(1e-3, 10.0)), label="reg")
    return W, X, y, reg
