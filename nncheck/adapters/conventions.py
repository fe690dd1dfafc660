"""Conventions that more than one library shares, declared the same way by each adapter."""

from __future__ import annotations

import numpy as np

from nncheck.implementation import Bound
from nncheck.stats import DrawnFrom

# torch.renorm and Keras MaxNorm scale a column of norm n by c / (n + 1e-7) instead of
# c / n. Each element w_i then moves by |w_i| c 1e-7 / (n (n + 1e-7)) < 1e-7 when n > c,
# and Keras, which also scales columns inside the ball (by n / (n + 1e-7)), moves them by
# |w_i| 1e-7 / (n + 1e-7) < 1e-7: never more than 1e-7 in absolute terms, plus rounding.
NORM_GUARD = 1e-7
NORM_GUARD_BOUND = Bound(atol=NORM_GUARD, rtol=1e-12)
NORM_GUARD_TEXT = ("{name} divides by n + 1e-7 instead of the column norm n, a guard against "
                   "0 / 0: every element moves by less than 1e-7")

# At a hinge's kink (y f = 1 exactly) JAX's jnp.maximum, which optax and Keras-on-JAX use,
# gives each of its two arguments half the gradient: -y / (2N) for a mean over N examples,
# at most 1/2 in size. Any value between -y / N and 0 is a valid subgradient there.
SPLIT_KINK_BOUND = Bound(atol=0.5, rtol=0.0)

# XLA on CPU flushes subnormal results (|x| < 2.2e-308) to zero: each such element is off by
# less than the smallest normal float64.
FLUSH_TO_ZERO_BOUND = Bound(atol=float(np.finfo(np.float64).tiny), rtol=0.0)
FLUSH_TO_ZERO_TEXT = ("XLA on CPU flushes subnormal numbers (|x| < 2.2e-308) to zero, so "
                      "subnormal weights come back as 0")

# At |x|'s kink (x = 0) JAX's gradient of abs is 1, where the contract chooses sign(0) = 0:
# a valid subgradient of reg * |x| (any value in [-reg, reg] is one), 1 in units of reg,
# plus float32 rounding (Keras on JAX computes its means in float32).
ABS_KINK_BOUND = Bound(atol=1.0 + 1e-6, rtol=0.0)

# JAX's lecun/glorot/he_normal and Keras' LecunNormal/GlorotNormal/HeNormal draw from a
# normal truncated at +-2 of its std, that std being the promised one divided by
# 0.87962566103423978 (the std of a standard normal truncated at +-2), so the variance is
# the promised one. Weights divided by the promised std then follow truncnorm(-2, 2) with
# that scale: what the normal-shape invariant's samples must follow instead of N(0, 1).
TRUNCATED_NORMAL_STD = 0.87962566103423978
TRUNCATED_NORMAL = DrawnFrom("truncnorm", {"a": -2.0, "b": 2.0, "scale": 1 / TRUNCATED_NORMAL_STD},
                             "a normal truncated at +-2 of its own std, scaled to unit variance")
