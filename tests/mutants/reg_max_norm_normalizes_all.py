"""Max-norm that puts every column on the sphere ||w|| = c, growing those that were inside."""

import numpy as np


def max_norm_project(W, c):
    norms = np.linalg.norm(W, axis=0)
    return W * (c / np.where(norms > 0, norms, 1.0))  # BUG: only norms > c should change


MUST_FAIL = [
    "max_norm_project::max_norm_matches_reference",
    "max_norm_project::max_norm_inside_columns_untouched",
    "max_norm_project::max_norm_never_increases_a_norm",
]
