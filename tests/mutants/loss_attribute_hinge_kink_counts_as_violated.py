"""Attribute hinge whose gradient mask counts y f = 1 (the kink) as violated: a valid
subgradient, but not the one the contract chooses (0 at the kink)."""

import numpy as np


def attribute_hinge_loss(scores, Y):
    n = scores.shape[0]
    margins = 1.0 - Y * scores
    loss = np.maximum(0.0, margins).sum() / n
    return loss, np.where(margins >= 0, -Y, 0.0) / n  # BUG: >= takes the kink as violated


MUST_FAIL = [
    "attribute_hinge_loss::attribute_hinge_subgradient_zero_at_the_kink",
]
