"""L1 regression whose sign is computed as delta / |delta|: NaN where f == y."""

import numpy as np


def l1_regression_loss(pred, target):
    n = pred.shape[0]
    delta = pred - target
    with np.errstate(invalid="ignore"):
        grad = delta / np.abs(delta)  # BUG: 0 / 0 at the kink
    return np.abs(delta).sum() / n, grad / n


MUST_FAIL = [
    "l1_regression_loss::l1_regression_subgradient_zero_at_kink",
    "l1_regression_loss::l1_regression_matches_reference",
]
