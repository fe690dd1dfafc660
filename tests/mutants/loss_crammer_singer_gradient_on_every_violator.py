"""Crammer-Singer loss with the Weston-Watkins gradient: +1 on every violating class."""

import numpy as np


def crammer_singer_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = -np.inf
    loss = np.maximum(0.0, margins.max(axis=1)).mean()
    dscores = (margins > 0).astype(float)  # BUG: every violator, not only the max
    dscores[rows, y] = -dscores.sum(axis=1)
    return loss, dscores / n


MUST_FAIL = [
    "crammer_singer_loss::crammer_singer_gradient_matches_numeric",
    "crammer_singer_loss::crammer_singer_gradient_matches_autograd",
    "crammer_singer_loss::crammer_singer_matches_reference",
]
