"""Attribute hinge averaged over the C attributes (like torch/Keras) where the contract sums."""

import numpy as np


def attribute_hinge_loss(scores, Y):
    n, c = scores.shape
    hinge = 1.0 - Y * scores
    loss = np.maximum(0.0, hinge).sum() / (n * c)  # BUG: / C
    return loss, np.where(hinge > 0, -Y, 0.0) / (n * c)


MUST_FAIL = [
    "attribute_hinge_loss::attribute_hinge_attributes_independent",
    "attribute_hinge_loss::attribute_hinge_matches_reference",
]
