"""Elastic net whose gradient forgets the 2 of d(w^2)/dw."""

import numpy as np


def elastic_net_penalty(W, reg_l1, reg_l2):
    penalty = reg_l1 * np.sum(np.abs(W)) + reg_l2 * np.sum(W * W)
    return float(penalty), reg_l1 * np.sign(W) + reg_l2 * W  # BUG: 2 * reg_l2 * W


def l1_penalty(W, reg):
    return reg * float(np.sum(np.abs(W))), reg * np.sign(W)


def l2_penalty(W, reg):
    return 0.5 * reg * float(np.sum(W * W)), reg * W


MUST_FAIL = [
    "elastic_net_penalty::elastic_net_matches_reference",
    "elastic_net_penalty::elastic_net_gradient_matches_numeric",
    "elastic_net_penalty::elastic_net_combines_l1_and_l2",
]
