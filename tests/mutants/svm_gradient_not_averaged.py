"""A Weston-Watkins hinge whose gradient is not divided by N."""

import numpy as np


def svm_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    loss = margins.sum() / n
    dscores = (margins > 0).astype(float)
    dscores[rows, y] = -dscores.sum(axis=1)
    return loss, dscores  # BUG: missing / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "svm_loss::svm_matches_reference",
    "svm_loss::svm_gradient_matches_numeric",
    "svm_loss::svm_gradient_matches_autograd",
    "svm_loss::svm_averages_over_examples",
]
