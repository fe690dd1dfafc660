"""Logistic loss whose gradient is sigma(f), forgetting the - y."""

import numpy as np


def logistic_loss(scores, Y):
    n = scores.shape[0]
    loss = (np.logaddexp(0.0, scores) - Y * scores).sum() / n
    return loss, 1.0 / (1.0 + np.exp(-scores)) / n  # BUG: sigma(f) - y


MUST_FAIL = [
    "logistic_loss::logistic_gradient_is_sigma_minus_y",
    "logistic_loss::logistic_gradient_matches_numeric",
    "logistic_loss::logistic_gradient_matches_autograd",
    "logistic_loss::logistic_matches_reference",
]
