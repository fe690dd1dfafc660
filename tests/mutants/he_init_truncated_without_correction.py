"""He init from a normal truncated at 2 std, without dividing the std by 0.8796 to make up
for the variance the truncation removes (Var ends up 0.774 * 2/n)."""

import numpy as np
from scipy.stats import truncnorm


def he_init(fan_in, fan_out, seed):
    std = np.sqrt(2.0 / fan_in)  # BUG: should be std / 0.87962566 after truncation
    return truncnorm.rvs(-2, 2, scale=std, size=(fan_in, fan_out),
                         random_state=np.random.default_rng(seed))


MUST_FAIL = [
    "he_init::he_init_variance",
    "he_init::he_init_normal_shape",
    "he_init::he_init_keeps_scale_through_deep_relu_stack",
]
