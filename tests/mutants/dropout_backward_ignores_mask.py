"""Inverted dropout whose backward pass scales by 1/p but lets every unit's gradient through."""

import numpy as np


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    mask = (np.random.default_rng(seed).random(x.shape) < p) / p
    return x * mask, mask


def dropout_backward(dout, mask, p, mode):
    return dout.copy() if mode == "test" else dout / p  # BUG: dout * mask


MUST_FAIL = [
    "dropout_backward::dropout_backward_routes_through_kept_units",
    "dropout_backward::dropout_backward_matches_numeric",
]
