"""dW divides by the number of classes instead of the number of examples."""

import numpy as np


def linear_softmax_loss(W, X, y, reg):
    scores = X @ W
    n, c = scores.shape
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + 0.5 * reg * np.sum(W * W)
    p[np.arange(n), y] -= 1
    return loss, X.T @ p / c + reg * W  # BUG: / c instead of / n


MUST_FAIL = [
    "linear_softmax_loss::linear_softmax_matches_reference",
    "linear_softmax_loss::linear_softmax_gradient_matches_numeric",
]
