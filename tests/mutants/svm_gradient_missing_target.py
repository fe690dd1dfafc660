"""The gradient adds +1 on violating classes but forgets the target column."""

import numpy as np


def svm_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
    margins[rows, y] = 0
    dscores = (margins > 0).astype(float)  # BUG: dscores[rows, y] never set
    return margins.sum() / n, dscores / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "svm_loss::svm_gradient_rows_sum_to_zero",
    "svm_loss::svm_gradient_matches_numeric",
]
