"""A course-style file whose linear classifiers add 0.5 * reg * sum(W * W) (gradient reg * W).

The course files of 2016 and many learners write the L2 term this way, which is nncheck's
own convention. Nothing is declared: the adapter detects it and passes reg as is, so the
file conforms (the components it defines: the linear classifiers and their twins).
"""

import numpy as np


def _svm(scores, y):
    n = scores.shape[0]
    correct = scores[np.arange(n), y][:, None]
    margins = np.maximum(0, scores - correct + 1.0)
    margins[np.arange(n), y] = 0
    dscores = (margins > 0).astype(np.float64)
    dscores[np.arange(n), y] -= dscores.sum(axis=1)
    return margins.sum() / n, dscores / n


def _softmax(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    return -log_probs[np.arange(n), y].mean(), dscores / n


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= X.shape[0]
    dW /= X.shape[0]
    loss += 0.5 * reg * np.sum(W * W)
    dW += reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    loss, dscores = _svm(X.dot(W), y)
    return loss + 0.5 * reg * np.sum(W * W), X.T.dot(dscores) + reg * W


def softmax_loss_naive(W, X, y, reg):
    loss, dscores = _softmax(X.dot(W), y)
    return loss + 0.5 * reg * np.sum(W * W), X.T.dot(dscores) + reg * W


def softmax_loss_vectorized(W, X, y, reg):
    loss, dscores = _softmax(X.dot(W), y)
    return loss + 0.5 * reg * np.sum(W * W), X.T.dot(dscores) + reg * W
