"""Statistics computed over the whole dataset, i.e. every split pooled, as if the mean and
covariance were computed before splitting into train/val/test: each transform pools the data
it is given with the training data."""

import numpy as np


class _Pooled:
    def __init__(self, kind, n_components=None, eps=None):
        self.kind, self.k, self.eps = kind, n_components, eps

    def fit(self, X):
        self.seen = X.copy()
        self._fit(self.seen)
        return self

    def transform(self, X):
        # BUG: the statistics come from all the data there is, not the training split
        self._fit(np.vstack([self.seen, X]))
        return self._apply(X)

    def _fit(self, X):
        self.mean_ = X.mean(axis=0)
        self.scale_ = np.where(np.ptp(X, axis=0) == 0, 1.0, X.std(axis=0))
        Xc = X - self.mean_
        S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
        k = self.k or X.shape[1]
        self.explained_variance_ = np.clip(S[::-1][:k], 0, None)
        self.components_ = U[:, ::-1][:, :k]

    def _apply(self, X):
        Xc = X - self.mean_
        if self.kind == "mean":
            return Xc
        if self.kind == "std":
            return Xc / self.scale_
        Z = Xc @ self.components_
        return Z if self.eps is None else Z / np.sqrt(self.explained_variance_ + self.eps)


def mean_subtraction():
    return _Pooled("mean")


def standardization():
    return _Pooled("std")


def pca(n_components=None):
    return _Pooled("pca", n_components)


def whitening(n_components=None, eps=1e-5):
    return _Pooled("pca", n_components, eps)


MUST_FAIL = [
    "mean_subtraction::mean_subtraction_uses_training_mean",
    "standardization::standardization_uses_training_statistics",
    "pca::pca_uses_training_statistics",
    "whitening::whitening_uses_training_statistics",
]
