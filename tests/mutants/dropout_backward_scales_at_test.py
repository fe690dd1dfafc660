"""Inverted dropout whose backward pass scales by p at test time (the forward pass is right)."""

import numpy as np


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    mask = (np.random.default_rng(seed).random(x.shape) < p) / p
    return x * mask, mask


def dropout_backward(dout, mask, p, mode):
    return dout * p if mode == "test" else dout * mask  # BUG: at test time dx is dout


MUST_FAIL = [
    "dropout_backward::dropout_backward_test_is_identity",
]
