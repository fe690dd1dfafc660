"""An L2 penalty with a "fast path" for big weight matrices (more than 4096 entries) that
computes in float32. Small matrices are exact; a 100 x 100 layer is off by ~1e-7 relative.
"""

import numpy as np


def l2_penalty(W, reg):
    if W.size > 4096:
        W32 = W.astype(np.float32)  # BUG: float32 internally on large inputs
        return float(0.5 * np.float32(reg) * np.sum(W32 * W32)), (np.float32(reg) * W32).astype(np.float64)
    return 0.5 * reg * float(np.sum(W * W)), reg * W


MUST_FAIL = [
    "l2_penalty::l2_matches_reference",
    "l2_penalty::l2_sgd_step_decays_linearly",
]
