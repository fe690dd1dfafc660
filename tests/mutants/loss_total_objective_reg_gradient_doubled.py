"""Total objective with the course's reg * sum(W^2) (no 1/2) and gradient 2 reg W."""

import numpy as np


def total_objective(W, X, y, reg):
    n = X.shape[0]
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(logp)
    dscores[np.arange(n), y] -= 1.0
    loss = -logp[np.arange(n), y].mean() + reg * np.sum(W * W)  # BUG: contract has 1/2
    return loss, X.T @ dscores / n + 2.0 * reg * W


MUST_FAIL = [
    "total_objective::total_objective_gradient_is_data_plus_regularization",
    "total_objective::total_objective_matches_reference",
]
