"""Input checking and small exact facts of the reference initializers (the statistical
properties live in properties/test_weight_initialization.py)."""

from __future__ import annotations

import numpy as np
import pytest

from nncheck.reference import initialization as init

RANDOM = [init.small_random_init, init.calibrated_init, init.glorot_init, init.he_init,
          init.sparse_init]


@pytest.mark.parametrize("fn", [init.zeros_init, *RANDOM])
@pytest.mark.parametrize(("fan_in", "fan_out", "seed", "match"), [
    (0, 3, 1, "fan_in"), (3, -1, 1, "fan_out"), (2.5, 3, 1, "fan_in"), (True, 3, 1, "fan_in"),
    (3, 3, -1, "seed"), (3, 3, 1.0, "seed"), (3, 3, None, "seed"),
])
def test_bad_arguments_raise_value_error(fn, fan_in, fan_out, seed, match):
    with pytest.raises(ValueError, match=match):
        fn(fan_in, fan_out, seed)


@pytest.mark.parametrize("fn", [init.zeros_init, *RANDOM])
def test_layout_dtype_and_numpy_integers(fn):
    w = fn(np.int64(5), np.int32(3), np.uint32(7))
    assert w.shape == (5, 3) and w.dtype == np.float64


def test_sparse_init_caps_k_at_fan_in_and_checks_its_arguments():
    w = init.sparse_init(4, 6, 0, k=10)
    assert np.all(np.count_nonzero(w, axis=0) == 4)
    for bad in ({"k": 0}, {"k": 2.0}, {"scale": 0.0}, {"scale": float("nan")}):
        with pytest.raises(ValueError):
            init.sparse_init(4, 6, 0, **bad)


def test_small_random_init_rejects_bad_scale():
    with pytest.raises(ValueError, match="scale"):
        init.small_random_init(3, 3, 0, scale=-0.01)


def test_bias_init():
    assert np.array_equal(init.bias_init(3), np.zeros(3))
    assert np.array_equal(init.bias_init(2, value=0.01), np.full(2, 0.01))
    for bad in ((0,), (2.0,), (3, float("inf"))):
        with pytest.raises(ValueError):
            init.bias_init(*bad)
