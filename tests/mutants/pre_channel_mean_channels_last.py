"""Per-channel means taken from rows read as [H*W, C] (channels last) instead of [C, H*W]."""


class _Channel:
    def __init__(self, channels):
        self.c = channels

    def fit(self, X):
        self.mean_ = X.reshape(len(X), -1, self.c).mean(axis=(0, 1))  # BUG: layout HWC
        return self

    def transform(self, X):
        return (X.reshape(len(X), -1, self.c) - self.mean_).reshape(X.shape)

    def inverse_transform(self, Z):
        return (Z.reshape(len(Z), -1, self.c) + self.mean_).reshape(Z.shape)


def channel_mean_subtraction(channels):
    return _Channel(channels)


MUST_FAIL = ["channel_mean_subtraction::channel_mean_centers_each_channel"]
