"""Includes j = y_i in the sum, adding a constant 1 per example to the loss."""

import numpy as np


def svm_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)  # BUG: j = y_i kept
    loss = margins.sum() / n
    dscores = (margins > 0).astype(float)
    dscores[rows, y] = 0
    dscores[rows, y] = -dscores.sum(axis=1)
    return loss, dscores / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "svm_loss::svm_zero_when_margins_hold",
    "svm_loss::svm_matches_reference",
]
