"""Running statistics with momentum weighting the NEW batch (torch's convention) unmapped."""


def batchnorm_running_update(running_mean, running_var, x, momentum=0.9):
    # BUG: the contract's momentum weights the OLD value:
    # momentum * running + (1 - momentum) * batch
    new_mean = (1 - momentum) * running_mean + momentum * x.mean(axis=0)
    new_var = (1 - momentum) * running_var + momentum * x.var(axis=0)
    return new_mean, new_var


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_running_update::batchnorm_running_update_matches_reference",
    "batchnorm_running_update::batchnorm_running_stats_approach_a_repeated_batch_geometrically",
]
