"""Hierarchical softmax that computes every leaf's log-probability, then picks the label's.

The numbers are right; the cost is O(C) per example, which defeats the point of the tree.
"""

import numpy as np


def hierarchical_softmax_loss(node_scores, y, tree):
    n = node_scores.shape[0]
    logp = np.zeros((n, len(tree)))
    for label in range(len(tree)):  # BUG: walks every leaf's path, not just y_i's
        for node, direction in tree[label]:
            logp[:, label] -= np.logaddexp(0.0, -direction * node_scores[:, node])
    rows = np.arange(n)
    d = np.zeros_like(node_scores)
    for i, label in enumerate(y):
        for node, direction in tree[int(label)]:
            d[i, node] += -direction / (1.0 + np.exp(direction * node_scores[i, node]))
    return -logp[rows, y].mean(), d / n


MUST_FAIL = ["hierarchical_softmax_loss::hierarchical_softmax_cost_follows_path_depth"]
