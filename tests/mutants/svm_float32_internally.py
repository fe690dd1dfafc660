"""Computes the hinge in float32 and casts back: too coarse for large scores."""

import numpy as np


def svm_loss(scores, y):
    s = scores.astype(np.float32)  # BUG: precision lost before the subtraction
    n = s.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, s - s[rows, y][:, None] + 1)
    margins[rows, y] = 0
    dscores = (margins > 0).astype(np.float64)
    dscores[rows, y] = -dscores.sum(axis=1)
    return float(margins.sum()) / n, dscores / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "svm_loss::svm_gradient_matches_numeric",
]
