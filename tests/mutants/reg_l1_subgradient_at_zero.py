"""L1 subgradient built as +-1 from a comparison: +reg at w = 0 instead of 0."""

import numpy as np


def l1_penalty(W, reg):
    return reg * float(np.sum(np.abs(W))), reg * np.where(W >= 0, 1.0, -1.0)  # BUG at 0


MUST_FAIL = [
    "l1_penalty::l1_subgradient_zero_at_zero",
]
