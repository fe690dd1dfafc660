"""Standardization by the sample std (ddof=1) where the contract says population std."""

import numpy as np


class _Std:
    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0, ddof=1)  # BUG: ddof=1
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
]
