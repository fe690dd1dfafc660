"""Squared hinge whose gradient forgets the factor 2 from d(m^2)/dm."""

import numpy as np


def squared_hinge_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0.0
    loss = (margins**2).sum() / n
    dscores = margins.copy()  # BUG: should be 2 * margins
    dscores[rows, y] = -margins.sum(axis=1)
    return loss, dscores / n


MUST_FAIL = [
    "squared_hinge_loss::squared_hinge_gradient_is_twice_the_margin",
    "squared_hinge_loss::squared_hinge_gradient_matches_numeric",
    "squared_hinge_loss::squared_hinge_gradient_matches_autograd",
    "squared_hinge_loss::squared_hinge_matches_reference",
]
