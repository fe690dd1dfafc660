"""Uses the penalty reg * sum(W**2) (no 1/2) without declaring that convention.

Self-consistent (dW = ... + 2 reg W), so only the agreement with the contract catches it.
"""

import numpy as np


def linear_softmax_loss(W, X, y, reg):
    scores = X @ W
    n = X.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)  # BUG: contract has 0.5
    p[np.arange(n), y] -= 1
    return loss, X.T @ p / n + 2 * reg * W


MUST_FAIL = [
    "linear_softmax_loss::linear_softmax_matches_reference",
    "linear_softmax_loss::linear_softmax_penalty_is_half_l2",
]
