"""Running variance fed with numpy's unbiased batch variance (ddof=1): wrong for every batch,
and NaN for a batch of one row."""

import numpy as np


def batchnorm_running_update(running_mean, running_var, x, momentum=0.9):
    new_mean = momentum * running_mean + (1 - momentum) * x.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        batch_var = np.var(x, axis=0, ddof=1)  # BUG: the contract's batch variance has ddof=0
    return new_mean, momentum * running_var + (1 - momentum) * batch_var


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_running_update::batchnorm_running_update_matches_reference",
    "batchnorm_running_update::batchnorm_running_update_single_row",
]
