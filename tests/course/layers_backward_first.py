"""A course file whose author wrote ``softmax_loss`` and ``batchnorm_backward`` (correctly)
before ``batchnorm_forward``, written for nncheck's tests.

``batchnorm_forward`` is still the untouched skeleton, so every invariant of
``batchnorm_backward`` (they run the backward pass on this file's own forward pass) is
*blocked*, waiting for ``batchnorm_forward`` (mode 'train'); ``softmax_loss`` passes; the
file conforms, with the blocked invariants counted apart.
"""

import numpy as np


def softmax_loss(x, y):
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return -log_probs[np.arange(n), y].mean(), dx / n


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    out, cache = None, None
    if mode == "train":
        #######################################################################
        # TODO: Implement the training-time forward pass for batch norm.      #
        #######################################################################
        pass
    elif mode == "test":
        pass
    return out, cache


def batchnorm_backward(dout, cache):
    xhat, gamma, std = cache
    n = dout.shape[0]
    dxhat = dout * gamma
    dx = (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (n * std)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
