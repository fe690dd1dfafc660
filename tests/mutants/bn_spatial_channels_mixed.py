"""Spatial batchnorm that reshapes [N, C, H, W] to [N*H*W, C] without moving C last."""

from nncheck.reference.batchnorm import batchnorm_train  # a correct plain batchnorm


def spatial_batchnorm_train(x, gamma, beta, eps=1e-5):
    n, c, h, w = x.shape
    cols = x.reshape(n * h * w, c)  # BUG: needs x.transpose(0, 2, 3, 1) first
    out, cache = batchnorm_train(cols, gamma, beta, eps)
    return out.reshape(n, c, h, w), cache


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "spatial_batchnorm_train::spatial_batchnorm_train_matches_reference",
    "spatial_batchnorm_train::spatial_batchnorm_standardizes_each_channel",
    "spatial_batchnorm_train::spatial_batchnorm_equals_batchnorm_on_channel_columns",
]

__all__ = ["batchnorm_train", "spatial_batchnorm_train"]
