"""The textbook softmax without subtracting the row maximum: exp overflows for large scores."""

import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    exp = np.exp(scores)  # BUG: no shift by the row max
    probs = exp / exp.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return loss, dscores / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "softmax_loss::softmax_stable_for_large_scores",
]
