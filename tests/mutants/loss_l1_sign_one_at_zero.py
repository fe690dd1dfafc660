"""L1 regression whose sign is 2 * (delta >= 0) - 1: +1 instead of 0 at the kink."""

import numpy as np


def l1_regression_loss(pred, target):
    n = pred.shape[0]
    delta = pred - target
    grad = 2.0 * (delta >= 0) - 1.0  # BUG: the documented subgradient at 0 is 0
    return np.abs(delta).sum() / n, grad / n


MUST_FAIL = ["l1_regression_loss::l1_regression_subgradient_zero_at_kink"]
