"""Structured SVM with a 0/1 margin (1 for any wrong sequence) instead of the Hamming distance."""

import itertools

import numpy as np


def structured_svm_loss(unary, pairwise, y):
    n, length, labels = unary.shape
    seqs = np.array(list(itertools.product(range(labels), repeat=length)))
    t = np.arange(length)
    dunary, dpairwise, loss = np.zeros_like(unary), np.zeros_like(pairwise), 0.0
    for i in range(n):
        scores = unary[i][t, seqs].sum(axis=1) + pairwise[seqs[:, :-1], seqs[:, 1:]].sum(axis=1)
        true = unary[i][t, y[i]].sum() + pairwise[y[i][:-1], y[i][1:]].sum()
        margin = (seqs != y[i]).any(axis=1).astype(float)  # BUG: should count the positions
        best = seqs[(scores + margin).argmax()]
        loss += (scores + margin).max() - true
        np.add.at(dunary[i], (t, best), 1.0)
        np.add.at(dunary[i], (t, y[i]), -1.0)
        np.add.at(dpairwise, (best[:-1], best[1:]), 1.0)
        np.add.at(dpairwise, (y[i][:-1], y[i][1:]), -1.0)
    return loss / n, dunary / n, dpairwise / n


MUST_FAIL = [
    "structured_svm_loss::structured_svm_is_max_over_structures",
    "structured_svm_loss::structured_svm_matches_reference",
]
