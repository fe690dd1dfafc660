"""Standardization that, to be fast on big data, estimates the std from the first 128
training rows only (the mean uses every row). Exact for up to 128 rows."""

import numpy as np

SUBSAMPLE = 128


class _Std:
    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        head = X[:SUBSAMPLE]
        # BUG: the spread of the first rows around the full mean stands in for the std
        std = np.sqrt(((head - self.mean_) ** 2).mean(axis=0))
        self.scale_ = np.where(np.ptp(X, axis=0) == 0, 1.0, std)
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_

    def inverse_transform(self, Z):
        return Z * self.scale_ + self.mean_


def standardization():
    return _Std()


MUST_FAIL = [
    "standardization::standardization_unit_std",
    "standardization::standardization_uses_training_statistics",
    "standardization::standardization_invariant_to_row_order",
]
