"""Max-norm projection from code built with flush-to-zero (-ffast-math, FTZ/DAZ): the
projection is right, but subnormal weights come back as 0."""

import numpy as np


def max_norm_project(W, c):
    n = np.linalg.norm(W, axis=0)
    out = W * np.where(n > c, c / np.where(n > 0, n, 1.0), 1.0)
    return np.where(np.abs(out) < np.finfo(np.float64).tiny, 0.0, out)  # BUG: flushed


MUST_FAIL = [
    "max_norm_project::max_norm_keeps_subnormal_columns",
]
