"""The L2 term is added to the loss but forgotten in dW (a classic linear-SVM slip)."""

import numpy as np


def linear_svm_loss(W, X, y, reg):
    scores = X @ W
    n = X.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    ds = (margins > 0).astype(np.float64)
    ds[rows, y] = -ds.sum(axis=1)
    loss = margins.sum() / n + 0.5 * reg * np.sum(W * W)
    return loss, X.T @ ds / n  # BUG: + reg * W missing


MUST_FAIL = [
    "linear_svm_loss::linear_svm_matches_reference",
    "linear_svm_loss::linear_svm_gradient_matches_numeric",
    "linear_svm_loss::linear_svm_penalty_is_half_l2",
]
