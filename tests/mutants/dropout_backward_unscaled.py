"""Inverted dropout that caches the 0/1 mask and forgets the 1/p in the backward pass."""

import numpy as np


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    mask = np.random.default_rng(seed).random(x.shape) < p
    return x * mask / p, mask


def dropout_backward(dout, mask, p, mode):
    return dout.copy() if mode == "test" else dout * mask  # BUG: dout * mask / p


MUST_FAIL = [
    "dropout_backward::dropout_backward_routes_through_kept_units",
    "dropout_backward::dropout_backward_matches_numeric",
]
