"""Standardization that divides by std + 1e-8 "for safety": small-scale features are not
scaled to std 1, and the result depends on each feature's units."""


class _Std:
    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0) + 1e-8  # BUG: smoothing the std
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_

    def inverse_transform(self, Z):
        return Z * self.scale_ + self.mean_


def standardization():
    return _Std()


MUST_FAIL = ["standardization::standardization_ignores_feature_scale_and_shift"]
