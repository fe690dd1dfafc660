"""Total objective that never regularizes biases, whatever regularize_biases says."""

import numpy as np


def regularized_objective(data_loss, params, grads, reg, regularize_biases=False):
    loss = float(data_loss)
    out = {k: np.array(g, dtype=np.float64) for k, g in grads.items()}
    for k, v in params.items():
        if k.startswith("W"):  # BUG: the flag is never consulted
            loss += 0.5 * reg * float(np.sum(v * v))
            out[k] = out[k] + reg * v
    return loss, out


MUST_FAIL = [
    "regularized_objective::objective_matches_reference",
    "regularized_objective::objective_regularizes_biases_on_request",
]
