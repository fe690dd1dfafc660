"""A softmax loss with a fast path for large batches that shifts the caller's scores in place.

Small batches (N <= 20) take the careful path and leave ``scores`` alone, so a suite that
never draws more than 20 rows cannot see the bug.
"""

import numpy as np


def softmax_loss(scores, y):
    n = scores.shape[0]
    if n > 20:
        scores -= scores.max(axis=1, keepdims=True)  # BUG: mutates the caller's array
        shifted = scores
    else:
        shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean()
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    return float(loss), dscores / n


MUST_FAIL = [
    "softmax_loss::softmax_matches_reference",
    "softmax_loss::softmax_gradient_matches_numeric",
    "softmax_loss::softmax_gradient_matches_autograd",
    "softmax_loss::softmax_averages_over_examples",
]
