"""Reference losses of the notes' section "Loss functions".

Scores ``f`` are [N x C]; the data loss is the mean over N of the per-example losses.
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
from autograd.scipy.special import logsumexp


def softmax_loss_forward(scores, y):
    """Mean cross-entropy of the row-wise softmax; stable for any score magnitude."""
    n = scores.shape[0]
    log_norm = logsumexp(scores, axis=1)
    return anp.mean(log_norm - scores[anp.arange(n), y])


def softmax_loss(scores, y):
    """(loss, dscores): dscores_i = (softmax(f_i) - onehot(y_i)) / N."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean()
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    return float(loss), dscores / n


def _margins(scores, y):
    """f_j - f_{y_i} + 1 for every j, with the j = y_i entries excluded (set to 0)."""
    n = scores.shape[0]
    correct = scores[anp.arange(n), y][:, None]
    not_target = anp.arange(scores.shape[1])[None, :] != anp.asarray(y)[:, None]
    return (scores - correct + 1.0) * not_target


def svm_loss_forward(scores, y):
    """Mean Weston-Watkins multiclass hinge with margin 1."""
    return anp.mean(anp.sum(anp.maximum(0.0, _margins(scores, y)), axis=1))


def svm_loss(scores, y):
    """(loss, dscores): +1 on every violating class, minus their count on the target."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    margins = _margins(scores, y)
    active = (margins > 0).astype(np.float64)
    loss = np.maximum(0.0, margins).sum(axis=1).mean()
    dscores = active
    dscores[np.arange(n), y] = -active.sum(axis=1)
    return float(loss), dscores / n
