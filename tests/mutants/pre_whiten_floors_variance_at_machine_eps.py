"""Whitening as scikit-learn does it (scikit-learn#29534): no eps, only a floor at machine
precision under sqrt(S), so round-off in a null direction is divided by ~sqrt(eps * S_max)."""

import numpy as np


class _PCA:
    def __init__(self, n_components=None, whiten=False):
        self.k, self.whiten = n_components, whiten

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        k = self.k or X.shape[1]
        S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
        self.explained_variance_ = np.clip(S[::-1][:k], 0, None)
        self.components_ = U[:, ::-1][:, :k]
        return self

    def _gain(self):
        if not self.whiten:
            return 1.0
        # BUG: a floor at machine precision instead of the smoothing eps
        return 1 / np.maximum(np.sqrt(self.explained_variance_), np.finfo(np.float64).eps)

    def transform(self, X):
        return (X - self.mean_) @ self.components_ * self._gain()

    def inverse_transform(self, Z):
        return (Z / self._gain()) @ self.components_.T + self.mean_


def pca(n_components=None):
    return _PCA(n_components)


def whitening(n_components=None, eps=1e-5):
    return _PCA(n_components, whiten=True)


MUST_FAIL = [
    "whitening::whitening_does_not_amplify_null_directions",
]
