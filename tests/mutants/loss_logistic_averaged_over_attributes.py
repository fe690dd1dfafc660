"""Logistic loss averaged over the C attributes (as BCEWithLogitsLoss) where the contract sums."""

import numpy as np


def logistic_loss(scores, Y):
    n, c = scores.shape
    loss = (np.logaddexp(0.0, scores) - Y * scores).sum() / (n * c)  # BUG: / C
    sig = np.where(scores >= 0, 1.0 / (1.0 + np.exp(-np.abs(scores))),
                   np.exp(-np.abs(scores)) / (1.0 + np.exp(-np.abs(scores))))
    return loss, (sig - Y) / (n * c)


MUST_FAIL = [
    "logistic_loss::logistic_sums_over_attributes",
    "logistic_loss::logistic_gradient_is_sigma_minus_y",
    "logistic_loss::logistic_matches_reference",
]
