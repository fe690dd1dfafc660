"""The strategies of the "Loss functions" properties draw what they promise.

A property is only as good as its inputs: these tests check that attribute labels come in
exactly the named encoding, label trees are valid binary trees of varied shape, tie and
outlier strategies really produce ties and outliers, and the structured-margin strategy
produces both outcomes the "zero iff margin holds" property needs.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import find, given, settings

from nncheck import strategies as S
from nncheck.reference import losses as ref

FAST = settings(max_examples=60, deadline=None)


@FAST
@given(batch=S.attribute_batches(encoding="pm1"))
def test_pm1_attributes_are_plus_minus_one(batch):
    _, Y = batch
    assert set(np.unique(Y)) <= {-1.0, 1.0}


@FAST
@given(batch=S.attribute_batches(encoding="01"))
def test_01_attributes_are_zero_one(batch):
    _, Y = batch
    assert set(np.unique(Y)) <= {0.0, 1.0}


def test_encoding_must_be_named_and_known():
    with pytest.raises(TypeError):
        S.attribute_batches()  # no default encoding: it cannot be mixed up by accident
    with pytest.raises(ValueError, match="unknown label encoding"):
        S.attribute_labels((2, 2), encoding="+-1")
    with pytest.raises(ValueError, match="not in the pm1 encoding"):
        S.check_encoding(np.array([[0.0, 1.0]]), "pm1")


@FAST
@given(tree=S.label_trees())
def test_label_trees_are_full_binary_trees(tree):
    c = len(tree)
    nodes = {node for path in tree for node, _ in path}
    assert nodes == set(range(c - 1)), "every inner node is used, numbered 0..C-2"
    codes = [tuple(path) for path in tree]
    for a in codes:  # prefix-free: no label's path is the start of another's
        for b in codes:
            assert a is b or a != b[: len(a)]
    probs = ref.hierarchical_leaf_probabilities(np.random.default_rng(c).normal(size=(3, c - 1)),
                                                tree)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_label_trees_vary_in_shape():
    deep = find(S.label_trees(min_classes=6, max_classes=6),
                lambda t: max(map(len, t)) == 5)  # a caterpillar
    balanced = find(S.label_trees(min_classes=4, max_classes=4),
                    lambda t: all(len(p) == 2 for p in t))
    assert max(map(len, deep)) == 5 and all(len(p) == 2 for p in balanced)


def test_caterpillar_depths():
    assert [len(p) for p in S.caterpillar_tree(5)] == [1, 2, 3, 4, 4]


@FAST
@given(batch=S.every_class_batches())
def test_every_class_is_labelled(batch):
    scores, y = batch
    assert set(y.tolist()) == set(range(scores.shape[1]))


def test_tied_scores_and_exact_kinks_occur():
    find(S.tied_classification_batches(), lambda b: len(np.unique(b[0][0])) < b[0].shape[1])
    find(S.tied_classification_batches(), lambda b: np.any(S.hinge_margins(*b) == 0.0))


def test_regression_outliers_and_ties_occur():
    find(S.regression_batches(), lambda b: np.abs(b[1]).max() >= 100.0)
    find(S.regression_batches(ties=True), lambda b: np.any(b[0] == b[1]))


@FAST
@given(batch=S.regression_batches(outlier=0))
def test_no_outliers_when_disabled(batch):
    assert np.abs(batch[1]).max() <= 10.0


@FAST
@given(batch=S.attribute_margin_batches())
def test_attribute_margin_batches_hold_every_margin(batch):
    scores, Y = batch
    assert np.all(Y * scores >= 1.0)


def _structured_loss(batch):
    return ref.structured_svm_loss(*batch)[0]


def test_structured_margin_batches_cover_both_outcomes():
    find(S.structured_margin_batches(), lambda b: _structured_loss(b) == 0.0)
    find(S.structured_margin_batches(), lambda b: _structured_loss(b) > 0.0)
    find(S.structured_margin_batches(), lambda b: b[2].shape[1] >= 3 and _structured_loss(b) == 0)
