"""Max-norm as element-wise clipping to [-c, c]: a column can reach norm c * sqrt(fan_in)."""

import numpy as np


def max_norm_project(W, c):
    return np.clip(W, -c, c)  # BUG: bounds each weight, not each neuron's vector


MUST_FAIL = [
    "max_norm_project::max_norm_matches_reference",
    "max_norm_project::max_norm_columns_within_c",
    "max_norm_project::max_norm_bounded_under_huge_learning_rate",
]
