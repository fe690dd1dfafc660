"""A multiclass SVM whose gradient is averaged over min(N, 64) examples.

A leftover of a mini-batch loop with a fixed batch size of 64: the loss is the mean over
all N rows, but the gradient divides by at most 64, so it is too large once N > 64.
"""

import numpy as np


def svm_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    loss = np.maximum(0.0, margins).sum(axis=1).mean()
    dscores = (margins > 0).astype(np.float64)
    dscores[rows, y] = -dscores.sum(axis=1)
    return float(loss), dscores / min(n, 64)  # BUG: should be / n


MUST_FAIL = [
    "svm_loss::svm_matches_reference",
    "svm_loss::svm_gradient_matches_numeric",
    "svm_loss::svm_gradient_matches_autograd",
    "svm_loss::svm_averages_over_examples",
]
