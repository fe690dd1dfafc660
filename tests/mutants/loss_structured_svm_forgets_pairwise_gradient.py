"""Structured SVM whose pairwise gradient stays zero: only the unary part is back-propagated."""

import itertools

import numpy as np


def structured_svm_loss(unary, pairwise, y):
    n, length, labels = unary.shape
    seqs = np.array(list(itertools.product(range(labels), repeat=length)))
    t = np.arange(length)
    dunary, loss = np.zeros_like(unary), 0.0
    for i in range(n):
        scores = unary[i][t, seqs].sum(axis=1) + pairwise[seqs[:, :-1], seqs[:, 1:]].sum(axis=1)
        true = unary[i][t, y[i]].sum() + pairwise[y[i][:-1], y[i][1:]].sum()
        augmented = scores + (seqs != y[i]).sum(axis=1)
        best = seqs[augmented.argmax()]
        loss += augmented.max() - true
        np.add.at(dunary[i], (t, best), 1.0)
        np.add.at(dunary[i], (t, y[i]), -1.0)
    return loss / n, dunary / n, np.zeros_like(pairwise)  # BUG: dpairwise never filled


MUST_FAIL = ["structured_svm_loss::structured_svm_gradient_matches_numeric",
    "structured_svm_loss::structured_svm_gradient_matches_autograd"]
