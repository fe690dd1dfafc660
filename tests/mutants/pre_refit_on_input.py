"""Every transform refits on the split it is given: validation/test use their own statistics."""

import numpy as np


class _Refitting:
    def fit(self, X):
        self._fit(X)
        return self

    def transform(self, X):
        self._fit(X)  # BUG: statistics recomputed from the data being transformed
        return self._apply(X)

    def inverse_transform(self, Z):
        return self._unapply(Z)


class _Mean(_Refitting):
    def _fit(self, X):
        self.mean_ = X.mean(axis=0)

    def _apply(self, X):
        return X - self.mean_

    def _unapply(self, Z):
        return Z + self.mean_


class _Global(_Mean):
    def _fit(self, X):
        self.mean_ = float(X.mean())


class _Channel(_Refitting):
    def __init__(self, channels):
        self.c = channels

    def _fit(self, X):
        self.mean_ = X.reshape(len(X), self.c, -1).mean(axis=(0, 2))

    def _apply(self, X):
        return (X.reshape(len(X), self.c, -1) - self.mean_[:, None]).reshape(X.shape)

    def _unapply(self, Z):
        return (Z.reshape(len(Z), self.c, -1) + self.mean_[:, None]).reshape(Z.shape)


class _Std(_Mean):
    def _fit(self, X):
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(np.ptp(X, axis=0) == 0, 1.0, std)

    def _apply(self, X):
        return (X - self.mean_) / self.scale_

    def _unapply(self, Z):
        return Z * self.scale_ + self.mean_


class _MinMax(_Refitting):
    def _fit(self, X):
        self.lo, self.hi = X.min(axis=0), X.max(axis=0)
        self.half = np.where(self.hi > self.lo, (self.hi - self.lo) / 2, 1.0)
        self.shift = np.where(self.hi > self.lo, 1.0, 0.0)

    def _apply(self, X):
        return (X - self.lo) / self.half - self.shift

    def _unapply(self, Z):
        return (Z + self.shift) * self.half + self.lo


class _PCA(_Refitting):
    def __init__(self, n_components=None, eps=None):
        self.k, self.eps = n_components, eps

    def _fit(self, X):
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_
        S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
        k = self.k or X.shape[1]
        self.explained_variance_ = np.clip(S[::-1][:k], 0, None)
        self.components_ = U[:, ::-1][:, :k]

    def _gain(self):
        return 1.0 if self.eps is None else 1 / np.sqrt(self.explained_variance_ + self.eps)

    def _apply(self, X):
        return (X - self.mean_) @ self.components_ * self._gain()

    def _unapply(self, Z):
        return (Z / self._gain()) @ self.components_.T + self.mean_


def mean_subtraction():
    return _Mean()


def global_mean_subtraction():
    return _Global()


def channel_mean_subtraction(channels):
    return _Channel(channels)


def standardization():
    return _Std()


def minmax_scaling():
    return _MinMax()


def pca(n_components=None):
    return _PCA(n_components)


def whitening(n_components=None, eps=1e-5):
    return _PCA(n_components, eps)


MUST_FAIL = [
    "mean_subtraction::mean_subtraction_uses_training_mean",
    "global_mean_subtraction::global_mean_subtracts_one_training_scalar",
    "channel_mean_subtraction::channel_mean_uses_training_means",
    "standardization::standardization_uses_training_statistics",
    "minmax_scaling::minmax_uses_training_range",
    "pca::pca_uses_training_statistics",
    "whitening::whitening_uses_training_statistics",
]
