"""Clips the scores to [-100, 100] before the hinge, a misguided guard against overflow."""

import numpy as np


def svm_loss(scores, y):
    s = np.clip(scores, -100.0, 100.0)  # BUG: changes the loss once |f| > 100
    n = s.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0, s - s[rows, y][:, None] + 1)
    margins[rows, y] = 0
    dscores = (margins > 0).astype(np.float64)
    dscores[rows, y] = -dscores.sum(axis=1)
    return margins.sum() / n, dscores / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "svm_loss::svm_stable_for_large_scores",
]
