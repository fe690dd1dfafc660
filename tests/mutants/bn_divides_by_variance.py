"""Batch normalization that divides by the variance instead of the standard deviation."""


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / (var + eps)  # BUG: the square root is missing
    return gamma * xhat + beta, (x, xhat, var, gamma, eps)


# The invariants of the suite that must reject this implementation.
MUST_FAIL = [
    "batchnorm_train::batchnorm_train_matches_reference",
    "batchnorm_train::batchnorm_train_standardizes_each_feature",
    "batchnorm_train::batchnorm_train_invariant_to_positive_feature_scale",
    "batchnorm_train::batchnorm_train_undoes_weight_scale_of_previous_layer",
]
