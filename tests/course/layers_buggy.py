# ruff: noqa: NPY002  (the course API seeds the global numpy generator)
"""A course-style layers.py with four known bugs, each in one component.

* ``svm_loss`` forgets to average the gradient over N            -> svm_loss fails
* ``softmax_loss_vectorized`` forgets the reg term in dW          -> total_objective fails
* ``batchnorm_forward`` weights the NEW batch with momentum       -> batchnorm_running_update fails
* ``dropout_forward`` keeps a unit with probability 1 - p         -> dropout_forward fails
Everything else is correct and must pass.
"""

import numpy as np
from layers_correct import (  # noqa: F401  (the correct parts, re-exported)
    batchnorm_backward,
    batchnorm_backward_alt,
    dropout_backward,
    softmax_loss,
    svm_loss_naive,
    svm_loss_vectorized,
)


def svm_loss(x, y):
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - correct + 1.0)
    margins[np.arange(n), y] = 0
    dx = (margins > 0).astype(x.dtype)
    dx[np.arange(n), y] -= dx.sum(axis=1)
    return margins.sum() / n, dx  # BUG: dx not divided by n


def softmax_loss_vectorized(W, X, y, reg):
    loss, dscores = softmax_loss(X @ W, y)
    return loss + reg * np.sum(W * W), X.T @ dscores  # BUG: + 2 * reg * W missing


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d))
    running_var = bn_param.get("running_var", np.zeros(d))
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        std = np.sqrt(var + eps)
        xhat = (x - mu) / std
        out, cache = gamma * xhat + beta, (xhat, gamma, std)
        running_mean = (1 - momentum) * running_mean + momentum * mu  # BUG: momentum swapped
        running_var = (1 - momentum) * running_var + momentum * var  # BUG: momentum swapped
    else:
        out, cache = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, None
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return out, cache


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    np.random.seed(dropout_param.get("seed"))
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) > p) / p  # BUG: keeps with probability 1 - p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


# component -> the invariants that must not pass; checked by tests/test_adapters.py.
MUST_FAIL_COMPONENTS = ["svm_loss", "total_objective", "batchnorm_running_update",
                        "dropout_forward"]
