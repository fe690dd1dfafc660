"""Whitening that forgets the smoothing eps: divides by sqrt(S) (and so ignores eps)."""

import numpy as np


class _PCA:
    def __init__(self, n_components=None, eps=None):
        self.k, self.eps = n_components, eps

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        k = self.k or X.shape[1]
        S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
        self.explained_variance_ = np.clip(S[::-1][:k], 0, None)
        self.components_ = U[:, ::-1][:, :k]
        return self

    def _gain(self):
        if self.eps is None:
            return 1.0
        with np.errstate(all="ignore"):
            return 1 / np.sqrt(self.explained_variance_)  # BUG: eps forgotten

    def transform(self, X):
        return (X - self.mean_) @ self.components_ * self._gain()

    def inverse_transform(self, Z):
        return (Z / self._gain()) @ self.components_.T + self.mean_


def pca(n_components=None):
    return _PCA(n_components)


def whitening(n_components=None, eps=1e-5):
    return _PCA(n_components, eps)


MUST_FAIL = [
    "whitening::whitening_covariance_is_shrunk_identity",
    "whitening::whitening_larger_eps_exaggerates_noise_less",
]
