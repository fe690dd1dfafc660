"""Hierarchical softmax that uses sigma(s) for both branches: leaf probabilities don't sum to 1."""

import numpy as np


def hierarchical_softmax_loss(node_scores, y, tree):
    n = node_scores.shape[0]
    d = np.zeros_like(node_scores)
    loss = 0.0
    for i, label in enumerate(y):
        for node, _direction in tree[int(label)]:
            s = node_scores[i, node]  # BUG: the right branch should use sigma(-s)
            loss += np.logaddexp(0.0, -s)
            d[i, node] += -1.0 / (1.0 + np.exp(s))
    return loss / n, d / n


MUST_FAIL = [
    "hierarchical_softmax_loss::hierarchical_softmax_leaf_probabilities_sum_to_one",
    "hierarchical_softmax_loss::hierarchical_softmax_one_inner_node_is_logistic_regression",
    "hierarchical_softmax_loss::hierarchical_softmax_matches_reference",
]
