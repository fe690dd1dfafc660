"""Running 'variance' that averages the batch standard deviation instead."""


def batchnorm_running_update(running_mean, running_var, x, momentum=0.9):
    new_mean = momentum * running_mean + (1 - momentum) * x.mean(axis=0)
    new_var = momentum * running_var + (1 - momentum) * x.std(axis=0)  # BUG: x.var(axis=0)
    return new_mean, new_var


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_running_update::batchnorm_running_update_matches_reference",
    "batchnorm_running_update::batchnorm_running_stats_approach_a_repeated_batch_geometrically",
    "batchnorm_running_update::batchnorm_running_stats_converge_to_data_statistics",
]
