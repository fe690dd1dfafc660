"""Inverted dropout drawing one mask per feature and broadcasting it over the batch: every
example drops the same units."""

import numpy as np


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    mask = (np.random.default_rng(seed).random(x.shape[1:]) < p) / p  # BUG: x.shape
    return x * mask, mask


MUST_FAIL = [
    "dropout_forward::dropout_masks_independent_across_examples",
]
