"""L2 penalty with the 1/2 of the contract, but the gradient of the version without it."""

import numpy as np


def l2_penalty(W, reg):
    return 0.5 * reg * float(np.sum(W * W)), 2 * reg * W  # BUG: gradient is reg * W


MUST_FAIL = [
    "l2_penalty::l2_matches_reference",
    "l2_penalty::l2_gradient_matches_numeric",
    "l2_penalty::l2_sgd_step_decays_linearly",
]
