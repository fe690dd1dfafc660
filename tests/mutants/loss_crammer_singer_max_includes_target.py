"""Crammer-Singer taking the max over ALL classes, the target included (Keras' old bug)."""

import numpy as np


def crammer_singer_loss(scores, y):
    n = scores.shape[0]
    rows = np.arange(n)
    best = scores.argmax(axis=1)  # BUG: the target is allowed to be the "best other" class
    hinge = 1.0 + scores[rows, best] - scores[rows, y]
    active = (hinge > 0).astype(float)
    dscores = np.zeros_like(scores)
    dscores[rows, best] += active
    dscores[rows, y] -= active
    return np.maximum(0.0, hinge).mean(), dscores / n


MUST_FAIL = [
    "crammer_singer_loss::crammer_singer_zero_when_margins_hold",
    "crammer_singer_loss::crammer_singer_matches_reference",
]
