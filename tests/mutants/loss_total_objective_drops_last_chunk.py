"""A total objective that accumulates dW over chunks of 64 rows and drops the last partial
chunk once the batch is larger than one chunk.

``range(0, n - chunk + 1, chunk)`` visits only full chunks: batches of up to 64 rows are
handled in one piece and are right; N = 100 loses the gradient of rows 64..99.
"""

import numpy as np

CHUNK = 64


def total_objective(W, X, y, reg):
    n = X.shape[0]
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(logp)
    dscores[np.arange(n), y] -= 1.0
    dscores /= n
    loss = -logp[np.arange(n), y].mean() + 0.5 * reg * np.sum(W * W)
    if n <= CHUNK:
        return float(loss), X.T @ dscores + reg * W
    dW = reg * W
    for start in range(0, n - CHUNK + 1, CHUNK):  # BUG: the last partial chunk is skipped
        dW = dW + X[start:start + CHUNK].T @ dscores[start:start + CHUNK]
    return float(loss), dW


MUST_FAIL = [
    "total_objective::total_objective_matches_reference",
    "total_objective::total_objective_gradient_matches_numeric",
    "total_objective::total_objective_gradient_matches_autograd",
    "total_objective::total_objective_gradient_is_data_plus_regularization",
]
