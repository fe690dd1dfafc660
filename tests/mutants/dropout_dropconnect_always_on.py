"""DropConnect that keeps dropping weights at test time."""

import numpy as np


def dropconnect_forward(x, W, p, mode, seed):
    mask = (np.random.default_rng(seed).random(W.shape) < p) / p  # BUG: also when mode=test
    return x @ (W * mask), (x, W, mask)


MUST_FAIL = [
    "dropconnect_forward::dropconnect_test_is_plain_product",
]
