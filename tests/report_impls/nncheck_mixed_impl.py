"""A test implementation whose report has every status, hostile text, and every plot.

Used by tests/test_report_html.py (spec ``nncheck_mixed_impl:load``, with this folder on
sys.path). It is not a conformance target:

* ``svm_loss`` is the broken ``tests/mutants/svm_without_max.py`` (failed invariants),
  except that it raises, with a message full of HTML, for a batch of more than 8 rows
  that is a batch (not a constant one, which any property may draw) stacked on itself (the
  doubled-batch property's: an error verdict);
* ``softmax_loss`` is missing (not-implemented verdicts);
* two declared deviations: a mapped one on an invariant that passes, an expected failure;
* correct, minimal initializers, dropout, PCA and whitening, so every plot is drawn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nncheck.adapters.module import load_file_as_module
from nncheck.implementation import Deviation, Implementation

HOSTILE = "<script>window.__pwned = 1; console.error('pwned')</script><img src=x onerror=alert(1)>"
BROKEN = Path(__file__).parent.parent / "mutants" / "svm_without_max.py"


def svm_loss(scores, y):
    n = scores.shape[0]
    half = n // 2
    if (n > 8 and n % 2 == 0 and np.array_equal(scores[:half], scores[half:])
            and np.array_equal(y[:half], y[half:])
            and not np.all(scores[:half] == scores[0])):  # not merely a constant batch
        raise ValueError(f"batch stacked on itself {HOSTILE}")
    return load_file_as_module(BROKEN).svm_loss(scores, y)


def _normal(fan_in, fan_out, seed, std):
    return np.random.default_rng(seed).standard_normal((fan_in, fan_out)) * std


def calibrated_init(fan_in, fan_out, seed):
    return _normal(fan_in, fan_out, seed, 1 / np.sqrt(fan_in))


def he_init(fan_in, fan_out, seed):
    return _normal(fan_in, fan_out, seed, np.sqrt(2 / fan_in))


def small_random_init(fan_in, fan_out, seed, scale=0.01):
    return _normal(fan_in, fan_out, seed, scale)


def dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x.copy(), None
    mask = (np.random.default_rng(seed).random(x.shape) < p) / p
    return x * mask, mask


def vanilla_dropout_forward(x, p, mode, seed):
    if mode == "test":
        return x * p, None
    mask = np.random.default_rng(seed).random(x.shape) < p
    return x * mask, mask


def l2_penalty(W, reg):
    return 0.5 * reg * float(np.sum(W * W)), reg * W


class _PCA:
    def __init__(self, n_components=None, eps=None):
        self.n_components, self.eps = n_components, eps

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        centered = X - self.mean_
        values, vectors = np.linalg.eigh(centered.T @ centered / len(X))
        order = np.argsort(values)[::-1]
        self.explained_variance_, self.components_ = values[order], vectors[:, order]
        return self

    def transform(self, X):
        rotated = (X - self.mean_) @ self.components_
        if self.eps is not None:
            rotated = rotated / np.sqrt(self.explained_variance_ + self.eps)
        return rotated


def pca(n_components=None):
    return _PCA(n_components)


def whitening(n_components=None, eps=1e-5):
    return _PCA(n_components, eps)


def load(options=None):
    functions = {f.__name__: f for f in (svm_loss, calibrated_init, he_init, small_random_init,
                                         dropout_forward, vanilla_dropout_forward, l2_penalty,
                                         pca, whitening)}
    return Implementation(
        f"mixed {HOSTILE}", functions, version=f"0.0 {HOSTILE}", source="tests/report_impls",
        deviations=[
            Deviation("svm_loss", f"mapped convention {HOSTILE}",
                      invariant="svm_gradient_rows_sum_to_zero"),
            Deviation("svm_loss", "known: the hinge lacks its max", kind="expected-failure",
                      invariant="svm_zero_when_margins_hold"),
        ])
