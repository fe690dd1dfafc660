"""Batch normalization that, for batches of more than 32 rows, computes the variance in
chunks of 32 and averages the chunks' variances, forgetting the spread of the chunk means
(a streaming merge done wrong). Batches of up to 32 rows are exact.
"""

import numpy as np

CHUNK = 32


def _variance(x, mu):
    n = x.shape[0]
    if n <= CHUNK:
        return ((x - mu) ** 2).mean(axis=0)
    chunks = [x[i:i + CHUNK] for i in range(0, n, CHUNK)]
    weights = np.array([len(c) for c in chunks], dtype=np.float64) / n
    # BUG: each chunk is centered on its own mean; the between-chunk term is missing
    return sum(w * c.var(axis=0) for w, c in zip(weights, chunks, strict=True))


def batchnorm_train(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = _variance(x, mu)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (x, xhat, var, gamma, eps)


MUST_FAIL = [
    "batchnorm_train::batchnorm_train_matches_reference",
    "batchnorm_train::batchnorm_train_standardizes_each_feature",
    "batchnorm_train::batchnorm_train_mean_is_beta_std_is_gamma",
]
