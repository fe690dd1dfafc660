"""Inverted dropout that also scales by p at test time (mixing in vanilla dropout)."""

import numpy as np


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x * p, None  # BUG: inverted dropout is the identity at test time
    mask = (np.random.default_rng(seed).random(x.shape) < p) / p
    return x * mask, mask


def dropout_backward(dout, mask, p, mode):
    return dout * p if mode == "test" else dout * mask


# The backward pass's own mistake is blocked here (it waits for the failing forward pass);
# dropout_backward_scales_at_test.py shows it alone.
MUST_FAIL = [
    "dropout_forward::dropout_test_is_identity",
]
