"""Logistic loss written for +-1 labels, log(1 + exp(-y f)), but fed the contract's 0/1 labels.

A 0 label then costs log 2 whatever the score: P(y=0) is stuck at 1/2.
"""

import numpy as np


def logistic_loss(scores, Y):
    n = scores.shape[0]
    loss = np.logaddexp(0.0, -Y * scores).sum() / n  # BUG: formula for y in {-1, +1}
    return loss, -Y / (1.0 + np.exp(np.clip(Y * scores, -700, 700))) / n


MUST_FAIL = [
    "logistic_loss::logistic_probabilities_sum_to_one",
    "logistic_loss::logistic_matches_reference",
]
