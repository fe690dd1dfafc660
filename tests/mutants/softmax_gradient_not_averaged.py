"""A softmax loss whose gradient forgets to divide by N (the loss itself is averaged)."""

import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return loss, dscores  # BUG: missing / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "softmax_loss::softmax_matches_reference",
    "softmax_loss::softmax_gradient_matches_numeric",
    "softmax_loss::softmax_gradient_matches_autograd",
    "softmax_loss::softmax_averages_over_examples",
]
