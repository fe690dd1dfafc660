"""Squared hinge that squares the raw margin f_j - f_y + 1 before (instead of after) the max."""

import numpy as np


def squared_hinge_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    loss = (margins**2).sum() / n  # BUG: satisfied margins (m < 0) still add m^2
    dscores = 2.0 * margins
    dscores[rows, y] = -dscores.sum(axis=1)
    return loss, dscores / n


MUST_FAIL = [
    "squared_hinge_loss::squared_hinge_zero_when_margins_hold",
    "squared_hinge_loss::squared_hinge_matches_reference",
]
