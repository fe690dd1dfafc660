"""DropConnect whose backward pass uses the full weights instead of the kept, rescaled ones."""

import numpy as np


def dropconnect_forward(x, W, p, mode, seed):
    if mode == "test":
        mask = np.ones_like(W)
    else:
        mask = (np.random.default_rng(seed).random(W.shape) < p) / p
    return x @ (W * mask), (x, W, mask)


def dropconnect_backward(dout, cache):
    x, W, mask = cache
    return dout @ W.T, x.T @ dout  # BUG: (W * mask) and (x.T @ dout) * mask


MUST_FAIL = [
    "dropconnect_backward::dropconnect_backward_matches_numeric",
]
