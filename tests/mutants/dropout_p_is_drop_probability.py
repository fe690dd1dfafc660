"""Dropout, vanilla dropout and DropConnect that read p as the DROP rate (torch's p, Keras'
rate): they keep 1 - p of the units and, consistently, rescale by 1 / (1 - p). The
expectation is preserved; the keep fraction shows the swap."""

import numpy as np


def _keep(shape, p, seed):
    return np.random.default_rng(seed).random(shape) >= p  # BUG: keeps with 1 - p


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    with np.errstate(divide="ignore", invalid="ignore"):
        mask = _keep(x.shape, p, seed) / (1 - p)
        return x * mask, mask


def vanilla_dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x * (1 - p), None
    mask = _keep(x.shape, p, seed).astype(np.float64)
    return x * mask, mask


def dropconnect_forward(x, W, p, mode, seed):
    if mode == "test":
        return x @ W, (x, W, np.ones_like(W))
    with np.errstate(divide="ignore", invalid="ignore"):
        mask = _keep(W.shape, p, seed) / (1 - p)
        return x @ (W * mask), (x, W, mask)


MUST_FAIL = [
    "dropout_forward::dropout_keeps_fraction_p",
    "dropout_forward::dropout_p_one_is_identity",
    "vanilla_dropout_forward::vanilla_keeps_fraction_p",
    "vanilla_dropout_forward::vanilla_p_one_is_identity",
    "dropconnect_forward::dropconnect_keeps_fraction_p_of_weights",
]
