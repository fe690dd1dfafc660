"""Min-max scaling that writes 0 into every constant feature instead of shifting it.

To avoid dividing by a zero range, the constant columns are simply set to 0 after the
scaling: right on the training data, but a test value that differs from the training
value is lost (the contract maps it to x - training value). Found while triaging
surviving mutants of the reference (docs/mutation.md).
"""

import numpy as np


class _MinMax:
    def fit(self, X):
        self.lo, self.hi = X.min(axis=0), X.max(axis=0)
        self.const = self.hi == self.lo
        self.range = np.where(self.const, 1.0, self.hi - self.lo)
        return self

    def transform(self, X):
        out = 2.0 * (X - self.lo) / self.range - 1.0
        out[:, self.const] = 0.0  # BUG: test values of a constant feature are discarded
        return out

    def inverse_transform(self, Z):
        out = (Z + 1.0) * self.range / 2.0 + self.lo
        out[:, self.const] = self.lo[self.const] + Z[:, self.const]
        return out


def minmax_scaling():
    return _MinMax()


MUST_FAIL = [
    "minmax_scaling::minmax_constant_features_shift_test_data",
]
