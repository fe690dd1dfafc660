"""The reference helpers that the suite uses as measuring instruments or input builders.

Mutation testing (docs/mutation.md) showed that the conformance suite cannot see a bug in
``column_norms`` (the max-norm properties measure every implementation with it) or in
``tree_paths`` (the label trees of hierarchical softmax are built with it): a wrong
instrument changes the reference and the yardstick together. These tests pin both down
against independent computations.
"""

from __future__ import annotations

import numpy as np
import pytest

from nncheck.reference.losses import tree_paths
from nncheck.reference.regularization import column_norms


@pytest.mark.parametrize("scale", [1.0, 2.0**900, 2.0**-1000])
def test_column_norms_match_numpy(scale):
    """Per-column L2 norms, also where squaring would overflow or underflow (exact powers
    of two keep the scaled expectation exact)."""
    W = np.random.default_rng(0).normal(size=(7, 5))
    W[:, 2] *= 1e-3  # a column far below 1 in magnitude
    want = np.linalg.norm(W, axis=0) * scale
    np.testing.assert_allclose(column_norms(W * scale), want, rtol=1e-14, atol=0)


def test_column_norms_scale_each_column_on_its_own():
    """Columns 1e400 apart in magnitude: a scaling shared by all columns would underflow."""
    w = np.array([3.0, 4.0])
    W = np.stack([w * 2.0**700, w * 2.0**-700], axis=1)
    np.testing.assert_allclose(column_norms(W), [5.0 * 2.0**700, 5.0 * 2.0**-700], rtol=1e-15)


def test_column_norms_of_zero_columns_and_no_rows():
    W = np.zeros((3, 4))
    W[:, 1] = [3.0, 4.0, 0.0]
    np.testing.assert_array_equal(column_norms(W), [0.0, 5.0, 0.0, 0.0])
    np.testing.assert_array_equal(column_norms(np.zeros((0, 3))), np.zeros(3))


def test_tree_paths_numbers_inner_nodes_in_preorder():
    """((0, 2), 1): the root is node 0, its left child (0, 2) is node 1; left is +1."""
    assert tree_paths(((0, 2), 1)) == [[(0, 1), (1, 1)], [(0, -1)], [(0, 1), (1, -1)]]
    assert tree_paths((0, (1, (2, 3)))) == [
        [(0, 1)], [(0, -1), (1, 1)], [(0, -1), (1, -1), (2, 1)], [(0, -1), (1, -1), (2, -1)]]


@pytest.mark.parametrize("nested", [(0, 1), ((0, 1), (2, 3)), (((3, 0), 4), (1, 2))])
def test_tree_paths_describe_a_binary_tree(nested):
    """C leaves give C - 1 inner nodes 0..C-2; each inner node is entered from both sides;
    no path is a prefix of another (every label is a leaf)."""
    paths = tree_paths(nested)
    c = len(paths)
    nodes = {node for path in paths for node, _ in path}
    assert nodes == set(range(c - 1))
    for node in nodes:
        assert {d for path in paths for n, d in path if n == node} == {1, -1}
    for a in range(c):
        for b in range(c):
            if a != b:
                assert paths[b][:len(paths[a])] != paths[a]


def test_tree_paths_rejects_leaves_that_are_not_0_to_c_minus_1():
    with pytest.raises(ValueError, match="0..C-1"):
        tree_paths((0, 2))
