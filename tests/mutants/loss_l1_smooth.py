"""'L1' regression that is really smooth L1 (Huber with beta 1, torch's SmoothL1Loss)."""

import numpy as np


def l1_regression_loss(pred, target):
    n = pred.shape[0]
    delta = pred - target
    small = np.abs(delta) < 1.0
    loss = np.where(small, 0.5 * delta**2, np.abs(delta) - 0.5)  # BUG: quadratic near 0
    return loss.sum() / n, np.where(small, delta, np.sign(delta)) / n


MUST_FAIL = [
    "l1_regression_loss::l1_regression_linear_in_the_error",
    "l1_regression_loss::l1_regression_matches_reference",
]
