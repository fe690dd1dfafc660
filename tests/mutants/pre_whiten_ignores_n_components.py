"""Whitening that accepts n_components but always keeps every axis.

The constructor stores eps and forgets to hand n_components on to the PCA step, so
whitening(n_components=k) returns all D whitened axes. Found as a surviving mutant of
the reference (``super().__init__(None)``, docs/mutation.md): no whitening property
asked for fewer than D axes.
"""

import numpy as np


class _Whitening:
    def __init__(self, n_components=None, eps=1e-5):
        self.eps = eps  # BUG: n_components is dropped

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
        self.explained_variance_ = np.clip(S[::-1], 0, None)
        self.components_ = U[:, ::-1]
        return self

    def _gain(self):
        return 1 / np.sqrt(self.explained_variance_ + self.eps)

    def transform(self, X):
        return (X - self.mean_) @ self.components_ * self._gain()

    def inverse_transform(self, Z):
        return (Z / self._gain()) @ self.components_.T + self.mean_


def whitening(n_components=None, eps=1e-5):
    return _Whitening(n_components, eps)


MUST_FAIL = [
    "whitening::whitening_keeps_top_k_axes",
]
