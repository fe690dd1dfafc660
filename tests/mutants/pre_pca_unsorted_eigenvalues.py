"""eigh returns eigenvalues in INCREASING order; this PCA keeps that order, so it keeps
the k directions of least variance."""

import numpy as np


class _PCA:
    def __init__(self, n_components=None, eps=None):
        self.k, self.eps = n_components, eps

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        k = self.k or X.shape[1]
        S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
        self.explained_variance_ = np.clip(S[:k], 0, None)  # BUG: ascending order kept
        self.components_ = U[:, :k]
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
    "pca::pca_rotated_covariance_is_diagonal_decreasing",
    "pca::pca_keeps_top_k_variance",
]
