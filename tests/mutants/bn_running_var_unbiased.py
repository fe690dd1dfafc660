"""Running variance fed with the unbiased (ddof=1) batch variance, as torch does, unmapped."""


def batchnorm_running_update(running_mean, running_var, x, momentum=0.9):
    n = x.shape[0]
    new_mean = momentum * running_mean + (1 - momentum) * x.mean(axis=0)
    unbiased = x.var(axis=0) * n / max(n - 1, 1)  # BUG: the contract's batch variance has ddof=0
    new_var = momentum * running_var + (1 - momentum) * unbiased
    return new_mean, new_var


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_running_update::batchnorm_running_update_matches_reference",
    "batchnorm_running_update::batchnorm_running_stats_approach_a_repeated_batch_geometrically",
]
