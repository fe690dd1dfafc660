"""Max-norm that bounds the rows of W (torch's renorm on [out x in]) instead of its columns."""

import numpy as np


def max_norm_project(W, c):
    norms = np.linalg.norm(W, axis=1, keepdims=True)  # BUG: a neuron is a column (axis=0)
    return W * np.where(norms > c, c / np.where(norms > 0, norms, 1.0), 1.0)


MUST_FAIL = [
    "max_norm_project::max_norm_matches_reference",
    "max_norm_project::max_norm_columns_within_c",
    "max_norm_project::max_norm_bounded_under_huge_learning_rate",
]
