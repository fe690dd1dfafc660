"""No guard for constant features: standardization divides by std 0, min-max by range 0."""

import numpy as np


class _Std:
    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)  # BUG: 0 for a constant feature
        return self

    def transform(self, X):
        with np.errstate(all="ignore"):
            return (X - self.mean_) / self.scale_

    def inverse_transform(self, Z):
        return Z * self.scale_ + self.mean_


class _MinMax:
    def fit(self, X):
        self.lo, self.hi = X.min(axis=0), X.max(axis=0)
        return self

    def transform(self, X):
        with np.errstate(all="ignore"):
            return 2 * (X - self.lo) / (self.hi - self.lo) - 1  # BUG: range 0

    def inverse_transform(self, Z):
        return (Z + 1) / 2 * (self.hi - self.lo) + self.lo


def standardization():
    return _Std()


def minmax_scaling():
    return _MinMax()


MUST_FAIL = [
    "standardization::standardization_constant_features_centered_unscaled",
    "minmax_scaling::minmax_constant_features_map_to_zero",
]
