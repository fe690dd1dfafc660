"""Elastic net with a 1/2 on its L2 part (mixing the L2 convention into the notes' form)."""

import numpy as np


def elastic_net_penalty(W, reg_l1, reg_l2):
    penalty = reg_l1 * np.sum(np.abs(W)) + 0.5 * reg_l2 * np.sum(W * W)  # BUG: no 1/2
    return float(penalty), reg_l1 * np.sign(W) + reg_l2 * W


def l1_penalty(W, reg):
    return reg * float(np.sum(np.abs(W))), reg * np.sign(W)


def l2_penalty(W, reg):
    return 0.5 * reg * float(np.sum(W * W)), reg * W


MUST_FAIL = [
    "elastic_net_penalty::elastic_net_matches_reference",
    "elastic_net_penalty::elastic_net_combines_l1_and_l2",
]
