"""L2 penalty without the 1/2 (Keras' L2): self-consistent, but not the contract's."""

import numpy as np


def l2_penalty(W, reg):
    return reg * float(np.sum(W * W)), 2 * reg * W  # BUG: the contract has 0.5 * reg


MUST_FAIL = [
    "l2_penalty::l2_matches_reference",
    "l2_penalty::l2_sgd_step_decays_linearly",
]
