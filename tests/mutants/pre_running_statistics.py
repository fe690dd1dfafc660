"""Statistics estimated batchnorm-style: running averages over mini-batches of 3 rows with
momentum 0.9, so they depend on the order of the rows (and are not the training mean)."""

import numpy as np


def _running(X, batch=3, momentum=0.9):
    mean, var = X[:batch].mean(axis=0), X[:batch].var(axis=0)
    for start in range(batch, len(X), batch):
        chunk = X[start:start + batch]
        mean = momentum * mean + (1 - momentum) * chunk.mean(axis=0)  # BUG: order-dependent
        var = momentum * var + (1 - momentum) * chunk.var(axis=0)
    return mean, var


class _Running:
    def __init__(self, scale):
        self.scale = scale

    def fit(self, X):
        self.mean_, var = _running(X)
        std = np.sqrt(var)
        self.scale_ = np.where(std > 0, std, 1.0) if self.scale else np.ones(X.shape[1])
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_

    def inverse_transform(self, Z):
        return Z * self.scale_ + self.mean_


def mean_subtraction():
    return _Running(scale=False)


def standardization():
    return _Running(scale=True)


MUST_FAIL = [
    "mean_subtraction::mean_subtraction_invariant_to_row_order",
    "mean_subtraction::mean_subtraction_centers_training_data",
    "standardization::standardization_invariant_to_row_order",
]
