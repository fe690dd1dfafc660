"""Inverted dropout with a generator seeded by a constant: every call drops the same units."""

import numpy as np


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    mask = (np.random.default_rng(0).random(x.shape) < p) / p  # BUG: default_rng(seed)
    return x * mask, mask


MUST_FAIL = [
    "dropout_forward::dropout_seed_changes_mask",
]
