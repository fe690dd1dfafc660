"""Whitening that reads eps = 0 as "not given": ``eps or 1e-5`` keeps the default.

A falsy-default slip: asking for the textbook whitening (eps = 0) silently still adds
1e-5, so the whitened covariance is diag(S / (S + 1e-5)) instead of the identity. Found
while triaging surviving mutants of the reference (docs/mutation.md): no property used
eps = 0.
"""

import numpy as np


class _Whitening:
    def __init__(self, n_components=None, eps=1e-5):
        self.k, self.eps = n_components, eps or 1e-5  # BUG: eps = 0 becomes 1e-5

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        k = self.k or X.shape[1]
        S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
        self.explained_variance_ = np.clip(S[::-1][:k], 0, None)
        self.components_ = U[:, ::-1][:, :k]
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
    "whitening::whitening_without_eps_gives_identity_covariance",
]
