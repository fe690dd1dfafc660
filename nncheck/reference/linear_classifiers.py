"""Reference linear SVM: the hinge of the scores ``X @ W`` plus an L2 penalty on ``W``.

The softmax twin is ``total_objective`` in :mod:`nncheck.reference.losses`.

Sections "Loss functions" (the data loss) and "Regularization" (the L2 penalty). The data
term reuses :mod:`nncheck.reference.losses`; the penalty follows the contract's convention
0.5 * reg * sum(W**2), whose gradient is reg * W. By the chain rule through s = X @ W,
dW = X^T @ dscores.
"""

from __future__ import annotations

import numpy as np

from nncheck.reference.losses import svm_loss


def _linear(data_loss, W, X, y, reg):
    W = np.asarray(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    loss, dscores = data_loss(X @ W, y)
    return float(loss + 0.5 * reg * np.sum(W * W)), X.T @ dscores + reg * W


def linear_svm_loss(W, X, y, reg):
    """(loss, dW): mean Weston-Watkins hinge of X @ W plus 0.5 * reg * ||W||^2."""
    return _linear(svm_loss, W, X, y, reg)
