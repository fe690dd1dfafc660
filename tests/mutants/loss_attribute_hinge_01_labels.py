"""Attribute hinge that assumes 0/1 labels and maps them to +-1 with 2y - 1.

Fed the contract's +-1 labels, a negative label becomes -3: max(0, 1 + 3 f).
"""

import numpy as np


def attribute_hinge_loss(scores, Y):
    n = scores.shape[0]
    signs = 2.0 * Y - 1.0  # BUG: the labels are already +-1
    hinge = 1.0 - signs * scores
    return np.maximum(0.0, hinge).sum() / n, np.where(hinge > 0, -signs, 0.0) / n


MUST_FAIL = [
    "attribute_hinge_loss::attribute_hinge_matches_reference",
    "attribute_hinge_loss::attribute_hinge_gradient_only_on_violated",
    "attribute_hinge_loss::attribute_hinge_symmetric_under_label_flip",
]
