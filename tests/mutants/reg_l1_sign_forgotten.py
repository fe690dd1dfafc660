"""L1 penalty whose gradient forgets sign(w): every weight is pushed down, none toward 0."""

import numpy as np


def l1_penalty(W, reg):
    return reg * float(np.sum(np.abs(W))), reg * np.ones_like(W)  # BUG: reg * sign(W)


def l2_penalty(W, reg):
    return 0.5 * reg * float(np.sum(W * W)), reg * W


MUST_FAIL = [
    "l1_penalty::l1_matches_reference",
    "l1_penalty::l1_gradient_matches_numeric",
    "l1_penalty::l1_subgradient_zero_at_zero",
    "l1_penalty::l1_reaches_exact_zero_faster_than_l2",
]
