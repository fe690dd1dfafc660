"""Total objective that adds reg * W into the caller's gradient arrays in place."""

import re

import numpy as np


def regularized_objective(data_loss, params, grads, reg, regularize_biases=False):
    loss = float(data_loss)
    for k, v in params.items():
        if k.startswith("W") or (regularize_biases and re.fullmatch(r"b\d*", k)):
            loss += 0.5 * reg * float(np.sum(v * v))
            grads[k] += reg * v  # BUG: modifies the caller's arrays
    return loss, grads


MUST_FAIL = [
    "regularized_objective::objective_matches_reference",
    "regularized_objective::objective_leaves_biases_unregularized",
]
