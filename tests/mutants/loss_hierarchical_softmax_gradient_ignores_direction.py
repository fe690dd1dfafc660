"""Hierarchical softmax whose gradient treats every branch as the left one."""

import numpy as np


def hierarchical_softmax_loss(node_scores, y, tree):
    n = node_scores.shape[0]
    d = np.zeros_like(node_scores)
    loss = 0.0
    for i, label in enumerate(y):
        for node, direction in tree[int(label)]:
            s = node_scores[i, node]
            loss += np.logaddexp(0.0, -direction * s)
            d[i, node] += -1.0 / (1.0 + np.exp(s))  # BUG: direction dropped
    return loss / n, d / n


MUST_FAIL = [
    "hierarchical_softmax_loss::hierarchical_softmax_gradient_matches_numeric",
    "hierarchical_softmax_loss::hierarchical_softmax_gradient_matches_autograd",
    "hierarchical_softmax_loss::hierarchical_softmax_matches_reference",
]
