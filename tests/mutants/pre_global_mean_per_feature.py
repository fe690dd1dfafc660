"""Global mean subtraction that subtracts a per-feature mean instead of one scalar."""


class _Global:
    def fit(self, X):
        self.mean_ = X.mean(axis=0)  # BUG: axis=0 gives one mean per feature
        return self

    def transform(self, X):
        return X - self.mean_

    def inverse_transform(self, Z):
        return Z + self.mean_


def global_mean_subtraction():
    return _Global()


MUST_FAIL = ["global_mean_subtraction::global_mean_subtracts_one_training_scalar"]
