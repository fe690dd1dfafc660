"""PCA that keeps only min(N, D) axes by default (as scikit-learn's n_components=None):
with fewer rows than features it returns [N x N] instead of [N x D]."""

import numpy as np


class _PCA:
    def __init__(self, n_components=None, eps=None):
        self.k, self.eps = n_components, eps

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        k = self.k or min(X.shape)  # BUG: the default is D, not min(N, D)
        S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
        self.explained_variance_ = np.clip(S[::-1][:k], 0, None)
        self.components_ = U[:, ::-1][:, :k]
        return self

    def _gain(self):
        return 1.0 if self.eps is None else 1 / np.sqrt(self.explained_variance_ + self.eps)

    def transform(self, X):
        return (X - self.mean_) @ self.components_ * self._gain()

    def inverse_transform(self, Z):
        return (Z / self._gain()) @ self.components_.T + self.mean_


def pca(n_components=None):
    return _PCA(n_components)


def whitening(n_components=None, eps=1e-5):
    return _PCA(n_components, eps)


MUST_FAIL = [
    "pca::pca_fewer_rows_than_features_keeps_d_axes",
    "whitening::whitening_fewer_rows_than_features",
]
