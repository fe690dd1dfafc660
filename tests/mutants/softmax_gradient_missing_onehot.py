"""The gradient is softmax / N, without subtracting the one-hot target."""

import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    return loss, probs / n  # BUG: the target column needs -1


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "softmax_loss::softmax_gradient_rows_sum_to_zero",
    "softmax_loss::softmax_gradient_matches_numeric",
]
