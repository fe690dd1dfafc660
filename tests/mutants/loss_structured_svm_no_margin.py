"""Structured SVM without the Hamming margin: max_s score(s) - score(y)."""

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
        best = seqs[scores.argmax()]  # BUG: no + Hamming(s, y) before the max
        loss += scores.max() - true
        np.add.at(dunary[i], (t, best), 1.0)
        np.add.at(dunary[i], (t, y[i]), -1.0)
        np.add.at(dpairwise, (best[:-1], best[1:]), 1.0)
        np.add.at(dpairwise, (y[i][:-1], y[i][1:]), -1.0)
    return loss / n, dunary / n, dpairwise / n


MUST_FAIL = [
    "structured_svm_loss::structured_svm_zero_iff_margin_holds",
    "structured_svm_loss::structured_svm_is_max_over_structures",
    "structured_svm_loss::structured_svm_matches_reference",
]
