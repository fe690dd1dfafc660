"""DropConnect that drops weights but forgets to divide the kept ones by p."""

import numpy as np


def dropconnect_forward(x, W, p, mode, seed):
    if mode == "test":
        mask = np.ones_like(W)
    else:
        mask = (np.random.default_rng(seed).random(W.shape) < p).astype(np.float64)  # BUG
    return x @ (W * mask), (x, W, mask)


MUST_FAIL = [
    "dropconnect_forward::dropconnect_train_expectation",
    "dropconnect_forward::dropconnect_weights_zero_or_scaled",
]
