"""PCA of the correlation matrix: every feature is standardized before the eigenbasis
is computed, which makes the result depend on the input basis."""

import numpy as np


class _PCA:
    def __init__(self, n_components=None, eps=None):
        self.k, self.eps = n_components, eps

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        k = self.k or X.shape[1]
        self.std_ = np.where(Xc.std(axis=0) > 0, Xc.std(axis=0), 1.0)
        Xs = Xc / self.std_  # BUG: PCA of standardized features
        S, U = np.linalg.eigh(Xs.T @ Xs / len(X))
        self.explained_variance_ = np.clip(S[::-1][:k], 0, None)
        self.components_ = U[:, ::-1][:, :k] / self.std_[:, None]
        return self

    def _gain(self):
        if self.eps is None:
            return 1.0
        return 1 / np.sqrt(self.explained_variance_ + self.eps)

    def transform(self, X):
        return (X - self.mean_) @ self.components_ * self._gain()

    def inverse_transform(self, Z):
        return (Z / self._gain()) @ self.components_.T + self.mean_


def pca(n_components=None):
    return _PCA(n_components)

MUST_FAIL = [
    "pca::pca_equivariant_to_orthogonal_change_of_basis",
]
