"""Sums the raw margins f_j - f_y + 1, forgetting the max(0, .) of the hinge."""

import numpy as np


def svm_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = scores - scores[rows, y][:, None] + 1  # BUG: no max(0, .)
    margins[rows, y] = 0
    loss = margins.sum() / n
    dscores = np.ones_like(scores)
    dscores[rows, y] = -(scores.shape[1] - 1)
    return loss, dscores / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "svm_loss::svm_loss_nonnegative",
    "svm_loss::svm_matches_reference",
]
