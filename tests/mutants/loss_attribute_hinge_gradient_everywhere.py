"""Attribute hinge whose gradient is -y on every attribute, violated or not."""

import numpy as np


def attribute_hinge_loss(scores, Y):
    n = scores.shape[0]
    loss = np.maximum(0.0, 1.0 - Y * scores).sum() / n
    return loss, -Y / n  # BUG: no mask of the violated attributes


MUST_FAIL = [
    "attribute_hinge_loss::attribute_hinge_gradient_only_on_violated",
    "attribute_hinge_loss::attribute_hinge_zero_when_margins_hold",
    "attribute_hinge_loss::attribute_hinge_gradient_matches_numeric",
    "attribute_hinge_loss::attribute_hinge_gradient_matches_autograd",
]
