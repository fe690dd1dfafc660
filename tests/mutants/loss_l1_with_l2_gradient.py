"""L1 regression loss returned with the L2 gradient (f - y): outliers give huge gradients."""

import numpy as np


def l1_regression_loss(pred, target):
    n = pred.shape[0]
    delta = pred - target
    return np.abs(delta).sum() / n, delta / n  # BUG: should be sign(delta)


MUST_FAIL = [
    "l1_regression_loss::l1_regression_gradient_bounded_under_outliers",
    "l1_regression_loss::l1_regression_gradient_is_sign_of_difference",
    "l1_regression_loss::l1_regression_gradient_matches_numeric",
    "l1_regression_loss::l1_regression_gradient_matches_autograd",
]
