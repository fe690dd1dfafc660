"""Normalizes the exponentials over the whole batch instead of over each row."""

import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max()
    probs = np.exp(shifted) / np.exp(shifted).sum()  # BUG: sum over every row, not per row
    loss = -np.log(probs[np.arange(n), y]).mean()
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    return loss, dscores / n


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "softmax_loss::softmax_invariant_to_row_shift",
    "softmax_loss::softmax_matches_reference",
]
