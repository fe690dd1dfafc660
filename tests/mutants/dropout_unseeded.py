"""Dropout, vanilla dropout and DropConnect drawing from the global numpy generator: the
seed argument is accepted and ignored, so two calls give two masks."""

import numpy as np


def _keep(shape, p, seed):
    return np.random.rand(*shape) < p  # BUG: not drawn from the seed  # noqa: NPY002


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    mask = _keep(x.shape, p, seed) / p
    return x * mask, mask


def vanilla_dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x * p, None
    mask = _keep(x.shape, p, seed).astype(np.float64)
    return x * mask, mask


def dropconnect_forward(x, W, p, mode, seed):
    mask = np.ones_like(W) if mode == "test" else _keep(W.shape, p, seed) / p
    return x @ (W * mask), (x, W, mask)


MUST_FAIL = [
    "dropout_forward::dropout_same_seed_same_mask",
    "vanilla_dropout_forward::vanilla_same_seed_same_mask",
    "dropconnect_forward::dropconnect_same_seed_same_output",
]
