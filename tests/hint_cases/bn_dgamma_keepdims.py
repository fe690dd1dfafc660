"""Batch normalization whose backward pass sums dgamma and dbeta with keepdims=True:
they come out with shape (1, D) instead of (D,)."""

import numpy as np


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mu, var = x.mean(axis=0), x.var(axis=0)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv
    return gamma * xhat + beta, (xhat, gamma, inv)


def batchnorm_backward(dout, cache):
    xhat, gamma, inv = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0, keepdims=True)  # BUG: (1, D)
    dgamma = (dout * xhat).sum(axis=0, keepdims=True)  # BUG: (1, D)
    dxhat = dout * gamma
    dx = inv / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, dgamma, dbeta
