"""Maximizes instead of minimizing: the log-likelihood without its minus sign."""

import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = log_probs[np.arange(n), y].mean()  # BUG: should be minus this
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    return loss, -dscores / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "softmax_loss::softmax_loss_nonnegative",
    "softmax_loss::softmax_matches_reference",
]
