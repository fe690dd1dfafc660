"""Components that compute in float32 although they are given float64 (as Keras 3 on JAX
does, or code that casts): two correct ones and one with a bug beyond float32 rounding.

tests/test_precision.py checks the verdicts they must get: each correct component one
failure naming its precision (the rest blocked on it), the buggy one its own failures too.
"""

import numpy as np

F32 = np.float32


def batchnorm_train(x, gamma, beta, eps=1e-5):
    """Correct batch normalization, computed in float32."""
    x = np.asarray(x, F32)
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mean) / np.sqrt(var + F32(eps))
    out = np.asarray(gamma, F32) * xhat + np.asarray(beta, F32)
    return out.astype(np.float64), (xhat, var)


def softmax_loss(scores, y):
    """Correct softmax cross-entropy (mean over N) and its gradient, computed in float32."""
    scores = np.asarray(scores, F32)
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = scores.shape[0]
    loss = -logp[np.arange(n), y].mean()
    dscores = np.exp(logp)
    dscores[np.arange(n), y] -= 1
    return float(loss), (dscores / F32(n)).astype(np.float64)


def svm_loss(scores, y):
    """Weston-Watkins hinge in float32 whose gradient is NOT divided by N (a real bug)."""
    scores = np.asarray(scores, F32)
    n = scores.shape[0]
    correct = scores[np.arange(n), y][:, None]
    margins = np.maximum(0, scores - correct + F32(1))
    margins[np.arange(n), y] = 0
    loss = margins.sum() / F32(n)
    dscores = (margins > 0).astype(F32)
    dscores[np.arange(n), y] = -dscores.sum(axis=1)
    return float(loss), dscores.astype(np.float64)
