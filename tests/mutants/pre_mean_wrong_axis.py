"""Mean subtraction over the wrong axis: each example loses its own mean (axis=1)."""


class _Center:
    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        return self

    def transform(self, X):
        return X - X.mean(axis=1, keepdims=True)  # BUG: axis=1, per row

    def inverse_transform(self, Z):
        return Z + self.mean_


def mean_subtraction():
    return _Center()


MUST_FAIL = [
    "mean_subtraction::mean_subtraction_centers_training_data",
    "mean_subtraction::mean_subtraction_removes_shift",
]
