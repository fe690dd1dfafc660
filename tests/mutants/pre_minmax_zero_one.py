"""Min-max scaling onto [0, 1] (the common default elsewhere) instead of [-1, 1]."""

import numpy as np


class _MinMax:
    def fit(self, X):
        self.lo, hi = X.min(axis=0), X.max(axis=0)
        self.range = np.where(hi > self.lo, hi - self.lo, 1.0)
        return self

    def transform(self, X):
        return (X - self.lo) / self.range  # BUG: [0, 1]

    def inverse_transform(self, Z):
        return Z * self.range + self.lo


def minmax_scaling():
    return _MinMax()


MUST_FAIL = [
    "minmax_scaling::minmax_spans_minus_one_to_one",
    "minmax_scaling::minmax_uses_training_range",
]
