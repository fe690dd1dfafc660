"""'Crammer-Singer' that sums over the other classes: that is Weston-Watkins, not the max."""

import numpy as np


def crammer_singer_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0.0
    loss = margins.sum() / n  # BUG: sum instead of max over j != y
    dscores = (margins > 0).astype(float)
    dscores[rows, y] = -dscores.sum(axis=1)
    return loss, dscores / n


MUST_FAIL = ["crammer_singer_loss::crammer_singer_matches_reference"]
