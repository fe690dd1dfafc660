"""Textbook logistic loss through log(sigma(f)): log(0) for large |f|."""

import numpy as np


def logistic_loss(scores, Y):
    n = scores.shape[0]
    with np.errstate(over="ignore", divide="ignore"):
        sig = 1.0 / (1.0 + np.exp(-scores))
        loss = -(Y * np.log(sig) + (1 - Y) * np.log(1 - sig)).sum() / n  # BUG: not stable
    return loss, (sig - Y) / n


MUST_FAIL = ["logistic_loss::logistic_stable_for_large_scores"]
