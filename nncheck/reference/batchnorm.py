"""Reference batch normalization, the notes' section "Batch Normalization".

Conventions (see ``docs/batchnorm.md``):

* ``x`` is [N x D], one example per row; every feature (column) is normalized over the
  batch with its mean and its *biased* variance (ddof=0), ``eps`` (default 1e-5) is
  added to the variance *inside* the square root, then the result is scaled by ``gamma``
  and shifted by ``beta`` (both [D]).
* Running statistics: ``running = momentum * running + (1 - momentum) * batch``, so
  ``momentum`` weights the OLD value (the course's ``bn_param`` convention, default 0.9);
  the batch variance fed to it is the biased one.
* Inference normalizes with the running statistics only, never with the batch: it is a
  fixed per-feature affine map of each row.
* The spatial variant takes [N, C, H, W] and normalizes each channel over N, H and W.

``batchnorm_train_forward`` is written with ``autograd.numpy`` so autograd can
differentiate it; ``batchnorm_backward`` follows the computational graph step by step,
``batchnorm_backward_alt`` is the simplified closed form. The cache is a dict and is
opaque to the conformance suite: it only travels from a forward to a backward of the
same implementation.
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np

DEFAULT_EPS = 1e-5
DEFAULT_MOMENTUM = 0.9


# ----------------------------------------------------------------------- forward (autograd)

def batchnorm_train_forward(x, gamma, beta, eps=DEFAULT_EPS):
    """Training-mode output only, in ``autograd.numpy`` (differentiable in x, gamma, beta)."""
    mu = anp.mean(x, axis=0)
    centered = x - mu
    var = anp.mean(centered * centered, axis=0)
    return gamma * centered / anp.sqrt(var + eps) + beta


def spatial_batchnorm_train_forward(x, gamma, beta, eps=DEFAULT_EPS):
    """Spatial training-mode output, in ``autograd.numpy``: statistics per channel."""
    mu = anp.mean(x, axis=(0, 2, 3), keepdims=True)
    centered = x - mu
    var = anp.mean(centered * centered, axis=(0, 2, 3), keepdims=True)
    g = anp.reshape(gamma, (1, -1, 1, 1))
    b = anp.reshape(beta, (1, -1, 1, 1))
    return g * centered / anp.sqrt(var + eps) + b


# ------------------------------------------------------------------------ public functions

def batchnorm_train(x, gamma, beta, eps=DEFAULT_EPS):
    """(out, cache): normalize each feature with the batch statistics, then gamma, beta.

    The forward pass is staged like the computational graph that
    :func:`batchnorm_backward` walks back through.
    """
    x = np.asarray(x, dtype=np.float64)
    gamma = np.asarray(gamma, dtype=np.float64)
    beta = np.asarray(beta, dtype=np.float64)
    mu = x.mean(axis=0)                     # 1. batch mean
    xmu = x - mu                            # 2. centered input
    sq = xmu**2                             # 3. squares
    var = sq.mean(axis=0)                   # 4. biased batch variance (ddof=0)
    std = np.sqrt(var + eps)                # 5. eps inside the square root
    istd = 1.0 / std                        # 6. inverse std
    xhat = xmu * istd                       # 7. normalized input
    out = gamma * xhat + beta               # 8. scale and shift
    cache = {"x": x, "gamma": gamma, "eps": eps, "mu": mu, "xmu": xmu, "var": var,
             "std": std, "istd": istd, "xhat": xhat}
    return out, cache


def batchnorm_backward(dout, cache):
    """(dx, dgamma, dbeta), step by step back through the computational graph."""
    dout = np.asarray(dout, dtype=np.float64)
    n = dout.shape[0]
    gamma, xmu, std, istd, xhat = (cache[k] for k in ("gamma", "xmu", "std", "istd", "xhat"))
    dbeta = dout.sum(axis=0)                            # 8. out = gamma * xhat + beta
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    distd = (dxhat * xmu).sum(axis=0)                   # 7. xhat = xmu * istd
    dxmu = dxhat * istd
    dstd = -distd / std**2                              # 6. istd = 1 / std
    dvar = 0.5 * dstd / std                             # 5. std = sqrt(var + eps)
    dsq = np.ones_like(xmu) * dvar / n                  # 4. var = mean(sq)
    dxmu = dxmu + 2.0 * xmu * dsq                       # 3. sq = xmu ** 2 (variance path)
    dmu = -dxmu.sum(axis=0)                             # 2. xmu = x - mu (mean path)
    dx = dxmu + np.ones_like(xmu) * dmu / n             # 1. mu = mean(x)
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """(dx, dgamma, dbeta) in closed form.

    dx = gamma / (N * sqrt(var + eps)) * (N * dout - dbeta - xhat * dgamma): the
    mean path removes the per-feature average of dout, the variance path removes its
    component along the normalized input.
    """
    dout = np.asarray(dout, dtype=np.float64)
    n = dout.shape[0]
    gamma, istd, xhat = cache["gamma"], cache["istd"], cache["xhat"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = (gamma * istd / n) * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def batchnorm_running_update(running_mean, running_var, x, momentum=DEFAULT_MOMENTUM):
    """New (running_mean, running_var): momentum * old + (1 - momentum) * batch (ddof=0)."""
    x = np.asarray(x, dtype=np.float64)
    batch_mean = x.mean(axis=0)
    batch_var = x.var(axis=0)  # ddof=0, the same variance the training forward uses
    new_mean = momentum * np.asarray(running_mean, dtype=np.float64) + (1 - momentum) * batch_mean
    new_var = momentum * np.asarray(running_var, dtype=np.float64) + (1 - momentum) * batch_var
    return new_mean, new_var


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=DEFAULT_EPS):
    """Test-mode output: the fixed per-feature affine map given by the running statistics."""
    x = np.asarray(x, dtype=np.float64)
    scale = np.asarray(gamma, dtype=np.float64) / np.sqrt(np.asarray(running_var) + eps)
    shift = np.asarray(beta, dtype=np.float64) - scale * np.asarray(running_mean)
    return x * scale + shift


def _channels_last(x):
    """[N, C, H, W] -> [N*H*W, C]: one column per channel."""
    n, c, h, w = x.shape
    return x.transpose(0, 2, 3, 1).reshape(n * h * w, c)


def _channels_first(cols, shape):
    """Inverse of :func:`_channels_last`."""
    n, c, h, w = shape
    return cols.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def spatial_batchnorm_train(x, gamma, beta, eps=DEFAULT_EPS):
    """(out, cache) for x [N, C, H, W]: every channel normalized over N, H and W."""
    x = np.asarray(x, dtype=np.float64)
    out_cols, inner = batchnorm_train(_channels_last(x), gamma, beta, eps)
    return _channels_first(out_cols, x.shape), {"inner": inner, "shape": x.shape}


def spatial_batchnorm_backward(dout, cache):
    """(dx [N, C, H, W], dgamma [C], dbeta [C]) of :func:`spatial_batchnorm_train`."""
    dout = np.asarray(dout, dtype=np.float64)
    dx_cols, dgamma, dbeta = batchnorm_backward_alt(_channels_last(dout), cache["inner"])
    return _channels_first(dx_cols, cache["shape"]), dgamma, dbeta
