"""Total objective that replaces the weights' data gradients by the penalty's gradient."""

import re

import numpy as np


def regularized_objective(data_loss, params, grads, reg, regularize_biases=False):
    loss = float(data_loss)
    out = {k: np.array(g, dtype=np.float64) for k, g in grads.items()}
    for k, v in params.items():
        if k.startswith("W") or (regularize_biases and re.fullmatch(r"b\d*", k)):
            loss += 0.5 * reg * float(np.sum(v * v))
            out[k] = reg * v  # BUG: should be added to the data gradient
    return loss, out


def l2_penalty(W, reg):
    return 0.5 * reg * float(np.sum(W * W)), reg * W


MUST_FAIL = [
    "regularized_objective::objective_matches_reference",
    "regularized_objective::objective_is_data_loss_plus_l2_penalty",
]
