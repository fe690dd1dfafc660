"""Vanilla dropout whose backward pass is copied from inverted dropout (1/p at train time,
identity at test time)."""

import numpy as np


def vanilla_dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x * p, None
    mask = (np.random.default_rng(seed).random(x.shape) < p).astype(np.float64)
    return x * mask, mask


def vanilla_dropout_backward(dout, mask, p, mode):
    return dout.copy() if mode == "test" else dout * mask / p  # BUG: inverted's backward


MUST_FAIL = [
    "vanilla_dropout_backward::vanilla_backward_routes_through_kept_units",
    "vanilla_dropout_backward::vanilla_backward_matches_numeric",
    "vanilla_dropout_backward::vanilla_backward_test_scales_by_p",
]
