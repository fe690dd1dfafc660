"""inverse_transform undoes the scaling/rotation but forgets to add the mean (or min) back."""

import numpy as np


class _Est:
    def __init__(self, kind, channels=None, eps=None):
        self.kind, self.c, self.eps = kind, channels, eps

    def fit(self, X):
        if self.kind == "global":
            self.mean_ = float(X.mean())
        elif self.kind == "channel":
            self.mean_ = np.repeat(X.reshape(len(X), self.c, -1).mean(axis=(0, 2)),
                                   X.shape[1] // self.c)
        elif self.kind == "minmax":
            self.mean_ = X.min(axis=0)
            hi = X.max(axis=0)
            self.scale_ = np.where(hi > self.mean_, (hi - self.mean_) / 2, 1.0)
            self.shift_ = np.where(hi > self.mean_, 1.0, 0.0)
        else:
            self.mean_ = X.mean(axis=0)
        if self.kind == "std":
            self.scale_ = np.where(np.ptp(X, axis=0) == 0, 1.0, X.std(axis=0))
        if self.kind == "pca":
            Xc = X - self.mean_
            S, U = np.linalg.eigh(Xc.T @ Xc / len(X))
            self.explained_variance_ = np.clip(S[::-1], 0, None)
            self.components_ = U[:, ::-1]
            self.scale_ = 1.0 if self.eps is None else np.sqrt(self.explained_variance_ + self.eps)
        return self

    def transform(self, X):
        Xc = X - self.mean_
        if self.kind in ("std",):
            return Xc / self.scale_
        if self.kind == "minmax":
            return Xc / self.scale_ - self.shift_
        if self.kind == "pca":
            return Xc @ self.components_ / self.scale_
        return Xc

    def inverse_transform(self, Z):
        # BUG: the mean (the min for min-max) is never added back
        if self.kind == "std":
            return Z * self.scale_
        if self.kind == "minmax":
            return (Z + self.shift_) * self.scale_
        if self.kind == "pca":
            return (Z * self.scale_) @ self.components_.T
        return Z.copy()


def mean_subtraction():
    return _Est("mean")


def global_mean_subtraction():
    return _Est("global")


def channel_mean_subtraction(channels):
    return _Est("channel", channels)


def standardization():
    return _Est("std")


def minmax_scaling():
    return _Est("minmax")


def pca(n_components=None):
    return _Est("pca")


def whitening(n_components=None, eps=1e-5):
    return _Est("pca", eps=eps)


MUST_FAIL = [
    "mean_subtraction::mean_subtraction_inverse_round_trip",
    "global_mean_subtraction::global_mean_inverse_round_trip",
    "channel_mean_subtraction::channel_mean_inverse_round_trip",
    "standardization::standardization_inverse_round_trip",
    "minmax_scaling::minmax_inverse_round_trip",
    "pca::pca_full_reconstruction_is_exact",
    "whitening::whitening_inverse_round_trip",
]
