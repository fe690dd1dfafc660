"""Total objective that adds the penalty to the loss but not its gradient to dW."""

import numpy as np


def total_objective(W, X, y, reg):
    n = X.shape[0]
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(logp)
    dscores[np.arange(n), y] -= 1.0
    loss = -logp[np.arange(n), y].mean() + 0.5 * reg * np.sum(W * W)
    return loss, X.T @ dscores / n  # BUG: + reg * W missing


MUST_FAIL = [
    "total_objective::total_objective_gradient_matches_numeric",
    "total_objective::total_objective_gradient_matches_autograd",
    "total_objective::total_objective_gradient_is_data_plus_regularization",
]
