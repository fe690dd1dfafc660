"""Elastic net whose L1 subgradient comes from a comparison: +reg_l1 at w = 0 instead of 0."""

import numpy as np


def elastic_net_penalty(W, reg_l1, reg_l2):
    value = reg_l1 * float(np.sum(np.abs(W))) + reg_l2 * float(np.sum(W * W))
    return value, reg_l1 * np.where(W >= 0, 1.0, -1.0) + 2 * reg_l2 * W  # BUG at 0


MUST_FAIL = [
    "elastic_net_penalty::elastic_net_subgradient_zero_at_zero",
]
