"""Reference regularizers of the notes' section "Regularization".

Conventions (see ``nncheck.contract``): weights are [fan_in x fan_out] and a neuron's
weight vector is a column; ``p`` is the probability of KEEPING a unit; the L2 penalty
carries the factor 1/2 so its gradient is ``reg * W``; every random draw comes from a
private ``numpy.random.default_rng(seed)``, never from the global numpy generator.

Penalties have an ``autograd.numpy`` forward (``*_forward``) so that autograd can give a
third opinion on the hand-written gradients.
"""

from __future__ import annotations

import re

import autograd.numpy as anp
import numpy as np

MODES = ("train", "test")


# ---------------------------------------------------------------------------- penalties

def l2_penalty_forward(W, reg):
    """0.5 * reg * sum(W**2) ("Regularization", L2)."""
    return 0.5 * reg * anp.sum(W * W)


def l2_penalty(W, reg):
    """(penalty, dW) of the L2 penalty: 0.5 * reg * sum(W**2) and reg * W."""
    W = np.asarray(W, dtype=np.float64)
    return float(0.5 * reg * np.sum(W * W)), reg * W


def l1_penalty_forward(W, reg):
    """reg * sum(|W|) ("Regularization", L1)."""
    return reg * anp.sum(anp.abs(W))


def l1_penalty(W, reg):
    """(penalty, dW) of the L1 penalty; the subgradient is reg * sign(W), 0 where w = 0."""
    W = np.asarray(W, dtype=np.float64)
    return float(reg * np.sum(np.abs(W))), reg * np.sign(W)


def elastic_net_penalty_forward(W, reg_l1, reg_l2):
    """reg_l1 * sum(|W|) + reg_l2 * sum(W**2), written as in the notes (no 1/2)."""
    return reg_l1 * anp.sum(anp.abs(W)) + reg_l2 * anp.sum(W * W)


def elastic_net_penalty(W, reg_l1, reg_l2):
    """(penalty, dW) of the elastic net: dW = reg_l1 * sign(W) + 2 * reg_l2 * W."""
    W = np.asarray(W, dtype=np.float64)
    penalty = reg_l1 * np.sum(np.abs(W)) + reg_l2 * np.sum(W * W)
    return float(penalty), reg_l1 * np.sign(W) + 2.0 * reg_l2 * W


# ------------------------------------------------------------------ the total objective

_WEIGHT = re.compile(r"W")
_BIAS = re.compile(r"b\d*")


def is_regularized(name: str, regularize_biases: bool = False) -> bool:
    """Whether parameter ``name`` is penalized: weights (``W...``) always, biases
    (``b``, ``b1``, ...) only on request ("Regularization", bias regularization), any
    other parameter (``gamma1``, ``beta1``) never."""
    if _WEIGHT.match(name):
        return True
    return bool(regularize_biases and _BIAS.fullmatch(name))


def regularized_objective(data_loss, params, grads, reg, regularize_biases=False):
    """(loss, grads): data loss plus 0.5 * reg * sum(w**2) over the regularized parameters,
    and the data gradients plus reg * w on those parameters (a new dict)."""
    total = float(data_loss)
    out = {name: np.array(g, dtype=np.float64, copy=True) for name, g in grads.items()}
    for name, value in params.items():
        if is_regularized(name, regularize_biases):
            penalty, dvalue = l2_penalty(value, reg)
            total += penalty
            out[name] = out[name] + dvalue
    return total, out


# ------------------------------------------------------------------------------ max norm

def column_norms(W) -> np.ndarray:
    """L2 norm of every column, without overflow or underflow for extreme magnitudes."""
    W = np.asarray(W, dtype=np.float64)
    scale = np.max(np.abs(W), axis=0) if W.shape[0] else np.zeros(W.shape[1])
    safe = np.where(scale > 0, scale, 1.0)
    return scale * np.sqrt(np.sum((W / safe) ** 2, axis=0))


def max_norm_project(W, c):
    """Project every column (a neuron's weight vector) onto the ball ||w||_2 <= c.

    Columns already inside are returned bit for bit; the others are rescaled by c / ||w||
    ("Regularization", max norm constraints).
    """
    W = np.asarray(W, dtype=np.float64)
    if not c > 0:
        raise ValueError(f"max-norm radius c must be positive, got {c!r}")
    norms = column_norms(W)
    outside = norms > c
    scale = np.ones_like(norms)
    scale[outside] = c / norms[outside]
    return W * scale


# ------------------------------------------------------------------------------- dropout

def _check(p, mode):
    if not 0.0 < p <= 1.0:
        raise ValueError(f"keep probability p must be in (0, 1], got {p!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be 'train' or 'test', got {mode!r}")


def keep_mask(shape, p, seed) -> np.ndarray:
    """A float mask of ``shape``: 1.0 with probability p, else 0.0, from ``seed`` alone."""
    return (np.random.default_rng(seed).random(shape) < p).astype(np.float64)


def dropout_forward(x, p, mode, seed):
    """Inverted dropout ("Regularization", Dropout): at train time keep each unit with
    probability p and divide by p, so E[out] = x; at test time the identity.

    Returns (out, mask) with mask = keep / p at train time (None at test time).
    """
    _check(p, mode)
    x = np.asarray(x, dtype=np.float64)
    if mode == "test":
        return x.copy(), None
    mask = keep_mask(x.shape, p, seed) / p
    return x * mask, mask


def dropout_backward(dout, mask, p, mode):
    """Gradient of inverted dropout: dout * keep / p at train time, dout at test time."""
    _check(p, mode)
    dout = np.asarray(dout, dtype=np.float64)
    return dout.copy() if mode == "test" else dout * mask


def vanilla_dropout_forward(x, p, mode, seed):
    """Vanilla dropout: at train time keep each unit with probability p (no scaling), at
    test time scale by p so the output equals the train-time expectation p * x.

    Returns (out, mask) with the 0/1 keep mask at train time (None at test time).
    """
    _check(p, mode)
    x = np.asarray(x, dtype=np.float64)
    if mode == "test":
        return x * p, None
    mask = keep_mask(x.shape, p, seed)
    return x * mask, mask


def vanilla_dropout_backward(dout, mask, p, mode):
    """Gradient of vanilla dropout: dout * keep at train time, p * dout at test time."""
    _check(p, mode)
    dout = np.asarray(dout, dtype=np.float64)
    return dout * p if mode == "test" else dout * mask


def dropconnect_forward(x, W, p, mode, seed):
    """DropConnect ("Regularization", noise in the forward pass): zero each weight with
    probability 1 - p, divide the kept ones by p, then x @ W. At test time x @ W.

    One mask of W's shape per call, shared by every row of x. Returns (out, cache).
    """
    _check(p, mode)
    x = np.asarray(x, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    if mode == "test":
        mask = np.ones_like(W)
    else:
        mask = keep_mask(W.shape, p, seed) / p
    return x @ (W * mask), (x, W, mask)


def dropconnect_backward(dout, cache):
    """(dx, dW) of dropconnect_forward: through the masked, rescaled weights."""
    x, W, mask = cache
    dout = np.asarray(dout, dtype=np.float64)
    return dout @ (W * mask).T, (x.T @ dout) * mask
