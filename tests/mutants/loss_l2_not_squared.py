"""L2 regression with the plain norm ||f - y||_2 per example instead of its square."""

import numpy as np


def l2_regression_loss(pred, target):
    n = pred.shape[0]
    delta = pred - target
    norms = np.sqrt((delta**2).sum(axis=1, keepdims=True))  # BUG: not squared
    grad = np.divide(delta, norms, out=np.zeros_like(delta), where=norms > 0)
    return norms.sum() / n, grad / n


MUST_FAIL = [
    "l2_regression_loss::l2_regression_quadratic_in_the_error",
    "l2_regression_loss::l2_regression_matches_reference",
]
