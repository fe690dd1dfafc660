"""Max-norm written as W * clip(n, 0, c) / (n + eps), as in Keras: columns inside the ball
are shrunk by n / (n + eps) too, and a second projection shrinks again."""

import numpy as np


def max_norm_project(W, c):
    norms = np.sqrt(np.sum(W * W, axis=0, keepdims=True))
    return W * (np.clip(norms, 0, c) / (1e-7 + norms))  # BUG: rescales every column


MUST_FAIL = [
    "max_norm_project::max_norm_matches_reference",
    "max_norm_project::max_norm_inside_columns_untouched",
    "max_norm_project::max_norm_idempotent",
]
