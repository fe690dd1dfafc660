"""Properties of the notes' section "Data Preprocessing".

Every preprocessor is an estimator (``nncheck.contract.ESTIMATOR_PROTOCOL``): the component
call builds it, ``fit(X_train)`` returns it, ``transform(X)`` applies the training statistics
to any split. Methods are called through :func:`nncheck.runtime.calling.call_method`, which turns a
raise, a mutated input, a wrong dtype or shape, or a NaN into a verdict.

Expected values are computed here from first principles (numpy means, ``eigvalsh`` of the
covariance X^T X / N), never by calling the reference, so a property also documents the rule.
Tolerances scale with the data: ``_atol`` is relative to the largest magnitude involved.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nncheck.compare import assert_close, assert_within
from nncheck.runtime.calling import call_method, call_method_many, fitted_attribute
from nncheck.strategies import (
    DATA_KINDS,
    FULL_RANK_KINDS,
    TALL_KINDS,
    data_splits,
    exact_covariance_data,
    image_batches,
    orthogonal_matrix,
)
from nncheck.suite import invariant

# Relative precision asked of float64 results computed by different, stable orders of
# operations on data of up to 300 rows and 32 features: far above round-off (checked with
# several seeds), far below every bug.
PREC = 1e-9
NON_CONSTANT_KINDS = tuple(k for k in DATA_KINDS if k != "constant_columns")


# ------------------------------------------------------------------------------ helpers

def _fit(impl, name: str, X: np.ndarray, **params):
    """Build component ``name`` with ``params`` and fit it on X (fit must return self)."""
    est = impl.call(name, **params)
    return call_method(est, "fit", X, output="self", label=f"{impl.name}.{name}")


def _transform(impl, name: str, est, X: np.ndarray, output: str = "like:X") -> np.ndarray:
    return call_method(est, "transform", X, output=output, label=f"{impl.name}.{name}")


def _rows_one_at_a_time(impl, name: str, est, X: np.ndarray) -> np.ndarray:
    """transform() of each row of X on its own (the calls made in one go), stacked."""
    return np.vstack(call_method_many(est, "transform", [((X[i:i + 1],), {}) for i in range(len(X))],
                                      output="like:X", label=f"{impl.name}.{name}"))


def _inverse(impl, name: str, est, Z: np.ndarray) -> np.ndarray:
    return call_method(est, "inverse_transform", Z, output="array", label=f"{impl.name}.{name}")


def _atol(*arrays) -> float:
    """PREC times the largest magnitude among ``arrays`` (at least PREC * 1e-3)."""
    return PREC * max(1e-3, *(float(np.max(np.abs(a))) for a in arrays))


def _covariance(X: np.ndarray) -> np.ndarray:
    """Population covariance (ddof=0): Xc^T Xc / N."""
    Xc = X - X.mean(axis=0)
    return Xc.T @ Xc / X.shape[0]


def _eigenvalues(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of the covariance of X, decreasing, clipped at 0 (it is PSD)."""
    return np.clip(np.linalg.eigvalsh(_covariance(X))[::-1], 0.0, None)


def _eigensolver_noise(d: int, largest: float) -> float:
    """The absolute error an eigensolver may leave in each eigenvalue of a D x D covariance,
    and in u_i^T C u_j: ~ D * machine-eps * S_max (with room, 64x)."""
    return 64 * d * np.finfo(np.float64).eps * largest


def _align_signs(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``actual`` with each column's sign flipped to agree with ``expected``'s column."""
    dots = np.sum(actual * expected, axis=0)
    return actual * np.where(dots < 0, -1.0, 1.0)


def _round_trip(impl, name: str, train: np.ndarray, test: np.ndarray, **params) -> None:
    est = _fit(impl, name, train, **params)
    for label, X in (("train", train), ("test", test)):
        back = _inverse(impl, name, est, _transform(impl, name, est, X))
        assert_close(back, X, rtol=PREC, atol=_atol(X), name=f"inverse(transform({label}))")


def _row_order(impl, name: str, train, test, data) -> None:
    perm = data.draw(st.permutations(range(len(train))), label="row order")
    out = _transform(impl, name, _fit(impl, name, train), test)
    out_perm = _transform(impl, name, _fit(impl, name, train[np.asarray(perm)]), test)
    assert_close(out_perm, out, rtol=PREC, atol=_atol(out), name="transform after shuffling rows")


# ------------------------------------------------------------------ mean subtraction

@invariant("mean_subtraction")
@given(split=data_splits())
def test_mean_subtraction_centers_training_data(impl, split):
    """Centered training data has mean 0 per feature, and each feature is shifted by one value."""
    _, train, _ = split
    out = _transform(impl, "mean_subtraction", _fit(impl, "mean_subtraction", train), train)
    assert_close(out.mean(axis=0), np.zeros(train.shape[1]), rtol=0, atol=_atol(train),
                 name="column means of the centered training data")
    shift = train - out
    assert_close(shift, np.broadcast_to(shift[0], shift.shape), rtol=0, atol=_atol(train),
                 name="X - transform(X) (one shift per feature)")


@invariant("mean_subtraction")
@given(split=data_splits())
def test_mean_subtraction_uses_training_mean(impl, split):
    """A test split is centered with the TRAINING mean, not its own or a pooled one."""
    _, train, test = split
    out = _transform(impl, "mean_subtraction", _fit(impl, "mean_subtraction", train), test)
    assert_close(out, test - train.mean(axis=0), rtol=PREC, atol=_atol(train, test),
                 name="transform(test)")


@invariant("mean_subtraction")
@given(split=data_splits(), shift_seed=st.integers(0, 2**32 - 1))
def test_mean_subtraction_removes_shift(impl, split, shift_seed):
    """Shifting every split by the same vector c does not change the centered output."""
    _, train, test = split
    c = np.random.default_rng(shift_seed).uniform(-50, 50, train.shape[1])
    out = _transform(impl, "mean_subtraction", _fit(impl, "mean_subtraction", train), test)
    moved = _transform(impl, "mean_subtraction", _fit(impl, "mean_subtraction", train + c),
                       test + c)
    assert_close(moved, out, rtol=PREC, atol=_atol(train + c, test + c),
                 name="transform of shifted data")


@invariant("mean_subtraction")
@given(split=data_splits(), data=st.data())
def test_mean_subtraction_invariant_to_row_order(impl, split, data):
    """Shuffling the training rows does not change the fitted map."""
    _, train, test = split
    _row_order(impl, "mean_subtraction", train, test, data)


@invariant("mean_subtraction")
@given(split=data_splits())
def test_mean_subtraction_inverse_round_trip(impl, split):
    """inverse_transform(transform(X)) gives back X, for the training and a test split."""
    _, train, test = split
    _round_trip(impl, "mean_subtraction", train, test)


# ----------------------------------------------------------- global mean subtraction

@invariant("global_mean_subtraction")
@given(split=data_splits())
def test_global_mean_subtracts_one_training_scalar(impl, split):
    """Every value of every split loses the same number: the mean of all training values."""
    _, train, test = split
    est = _fit(impl, "global_mean_subtraction", train)
    mean = fitted_attribute(est, "mean_", output="scalar", label=impl.name)
    assert_close(mean, train.mean(), rtol=PREC, atol=_atol(train), name="mean_")
    out = _transform(impl, "global_mean_subtraction", est, test)
    assert_close(out, test - train.mean(), rtol=PREC, atol=_atol(train, test),
                 name="transform(test)")


@invariant("global_mean_subtraction")
@given(split=data_splits())
def test_global_mean_inverse_round_trip(impl, split):
    """inverse_transform(transform(X)) gives back X."""
    _, train, test = split
    _round_trip(impl, "global_mean_subtraction", train, test)


# ---------------------------------------------------------- per-channel mean subtraction

def _channel_means(X: np.ndarray, c: int) -> np.ndarray:
    return X.reshape(X.shape[0], c, -1).transpose(1, 0, 2).reshape(c, -1).mean(axis=1)


@invariant("channel_mean_subtraction")
@given(batch=image_batches())
def test_channel_mean_centers_each_channel(impl, batch):
    """Each channel of [C*H*W] rows loses its own training mean: channel means become 0."""
    X, c = batch
    out = _transform(impl, "channel_mean_subtraction",
                     _fit(impl, "channel_mean_subtraction", X, channels=c), X)
    assert_close(_channel_means(out, c), np.zeros(c), rtol=0, atol=_atol(X),
                 name="per-channel means of the output")
    expected = X - np.repeat(_channel_means(X, c), X.shape[1] // c)
    assert_close(out, expected, rtol=PREC, atol=_atol(X), name="transform(X)")


@invariant("channel_mean_subtraction")
@given(train=image_batches(), test_seed=st.integers(0, 2**32 - 1))
def test_channel_mean_uses_training_means(impl, train, test_seed):
    """Test images lose the TRAINING channel means."""
    X, c = train
    test = X[:1] + np.random.default_rng(test_seed).normal(0.0, 5.0, (3, X.shape[1]))
    out = _transform(impl, "channel_mean_subtraction",
                     _fit(impl, "channel_mean_subtraction", X, channels=c), test)
    expected = test - np.repeat(_channel_means(X, c), X.shape[1] // c)
    assert_close(out, expected, rtol=PREC, atol=_atol(X, test), name="transform(test)")


@invariant("channel_mean_subtraction")
@given(batch=image_batches())
def test_channel_mean_inverse_round_trip(impl, batch):
    """inverse_transform(transform(X)) gives back X."""
    X, c = batch
    _round_trip(impl, "channel_mean_subtraction", X, X[::-1] * 0.5, channels=c)


# ------------------------------------------------------------------------ standardization

@invariant("standardization")
@given(split=data_splits(NON_CONSTANT_KINDS))
def test_standardization_unit_std(impl, split):
    """Standardized training data has mean 0 and population std (ddof=0) exactly 1."""
    _, train, _ = split
    out = _transform(impl, "standardization", _fit(impl, "standardization", train), train)
    d = train.shape[1]
    assert_close(out.mean(axis=0), np.zeros(d), rtol=0, atol=1e-7, name="means")
    assert_close(out.std(axis=0), np.ones(d), rtol=1e-7, atol=0, name="stds (ddof=0)")


@invariant("standardization")
@given(split=data_splits(("constant_columns",)))
def test_standardization_constant_features_centered_unscaled(impl, split):
    """A constant feature is centered to 0 and left unscaled; nothing is divided by 0."""
    source, train, test = split
    est = _fit(impl, "standardization", train)
    const = source.constant
    out = _transform(impl, "standardization", est, train)
    assert_close(out[:, const], np.zeros_like(out[:, const]), rtol=0, atol=_atol(train),
                 name="constant features of the standardized training data")
    moved = test.copy()
    moved[:, const] += 1.0
    out_test = _transform(impl, "standardization", est, moved)
    assert_close(out_test[:, const], np.ones_like(out_test[:, const]), rtol=0,
                 atol=_atol(train), name="constant features of test data moved by +1")


@invariant("standardization")
@given(split=data_splits(NON_CONSTANT_KINDS), seed=st.integers(0, 2**32 - 1))
def test_standardization_ignores_feature_scale_and_shift(impl, split, seed):
    """Rescaling a feature (any positive factor) and shifting it leave the output unchanged."""
    _, train, test = split
    rng = np.random.default_rng(seed)
    a = 10.0 ** rng.uniform(-3, 3, train.shape[1])
    b = rng.uniform(-10, 10, train.shape[1])
    out = _transform(impl, "standardization", _fit(impl, "standardization", train), test)
    moved = _transform(impl, "standardization", _fit(impl, "standardization", train * a + b),
                       test * a + b)
    assert_close(moved, out, rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(out).max())),
                 name="standardized output after rescaling and shifting features")


@invariant("standardization")
@given(split=data_splits(NON_CONSTANT_KINDS))
def test_standardization_uses_training_statistics(impl, split):
    """A test split is standardized with the TRAINING mean and std."""
    _, train, test = split
    out = _transform(impl, "standardization", _fit(impl, "standardization", train), test)
    expected = (test - train.mean(axis=0)) / train.std(axis=0)
    assert_close(out, expected, rtol=1e-7, atol=1e-7 * max(1.0, float(np.abs(expected).max())),
                 name="transform(test)")


@invariant("standardization")
@given(split=data_splits(), data=st.data())
def test_standardization_invariant_to_row_order(impl, split, data):
    """Shuffling the training rows does not change the fitted map."""
    _, train, test = split
    _row_order(impl, "standardization", train, test, data)


@invariant("standardization")
@given(split=data_splits())
def test_standardization_inverse_round_trip(impl, split):
    """inverse_transform(transform(X)) gives back X."""
    _, train, test = split
    _round_trip(impl, "standardization", train, test)


# -------------------------------------------------------------------------- min-max scaling

@invariant("minmax_scaling")
@given(split=data_splits(NON_CONSTANT_KINDS))
def test_minmax_spans_minus_one_to_one(impl, split):
    """On the training data every feature's min is exactly -1 and its max exactly 1."""
    _, train, _ = split
    out = _transform(impl, "minmax_scaling", _fit(impl, "minmax_scaling", train), train)
    lo, hi = train.min(axis=0), train.max(axis=0)
    # a few ulps of |data| / range: the room an X * scale + offset formulation needs
    tol = 64 * np.finfo(np.float64).eps * (1.0 + np.maximum(np.abs(lo), np.abs(hi)) / (hi - lo))
    d = train.shape[1]
    assert_close(out.min(axis=0), -np.ones(d), rtol=0, atol=float(tol.max()), name="feature minima")
    assert_close(out.max(axis=0), np.ones(d), rtol=0, atol=float(tol.max()), name="feature maxima")


@invariant("minmax_scaling")
@given(split=data_splits(("constant_columns",)))
def test_minmax_constant_features_map_to_zero(impl, split):
    """A constant feature maps to 0 on the training data; nothing is divided by 0."""
    source, train, _ = split
    out = _transform(impl, "minmax_scaling", _fit(impl, "minmax_scaling", train), train)
    const = source.constant
    assert_close(out[:, const], np.zeros_like(out[:, const]), rtol=0, atol=_atol(train),
                 name="constant features after min-max scaling")


@invariant("minmax_scaling")
@given(split=data_splits(("constant_columns",)))
def test_minmax_constant_features_shift_test_data(impl, split):
    """A constant training feature is only shifted ("Data Preprocessing", normalization): a
    test value x maps to x minus the training value, not to a fixed 0 and not rescaled."""
    source, train, test = split
    est = _fit(impl, "minmax_scaling", train)
    const = source.constant
    moved = test.copy()
    moved[:, const] = train[0, const] + 1.0
    out = _transform(impl, "minmax_scaling", est, moved)
    assert_close(out[:, const], np.ones_like(out[:, const]), rtol=0, atol=_atol(train),
                 name="constant features of test data set to the training value + 1")


@invariant("minmax_scaling")
@given(split=data_splits(NON_CONSTANT_KINDS))
def test_minmax_uses_training_range(impl, split):
    """Test data is mapped with the TRAINING min and max, and is not clipped to [-1, 1]."""
    _, train, test = split
    out = _transform(impl, "minmax_scaling", _fit(impl, "minmax_scaling", train), test)
    lo, hi = train.min(axis=0), train.max(axis=0)
    expected = 2.0 * (test - lo) / (hi - lo) - 1.0
    assert_close(out, expected, rtol=1e-7, atol=1e-7 * max(1.0, float(np.abs(expected).max())),
                 name="transform(test)")


@invariant("minmax_scaling")
@given(split=data_splits())
def test_minmax_inverse_round_trip(impl, split):
    """inverse_transform(transform(X)) gives back X."""
    _, train, test = split
    _round_trip(impl, "minmax_scaling", train, test)


# ------------------------------------------------------------------------------------ PCA

@invariant("pca")
@given(split=data_splits(TALL_KINDS, full_rank=True))
def test_pca_rotated_covariance_is_diagonal_decreasing(impl, split):
    """Rotated training data (k = D) has a diagonal covariance holding the eigenvalues of
    X^T X / N in decreasing order, which is what explained_variance_ reports."""
    _, train, _ = split
    est = _fit(impl, "pca", train)
    Z = _transform(impl, "pca", est, train)
    cov = Z.T @ Z / len(Z)
    want = _eigenvalues(train)
    atol = PREC * max(float(want[0]), 1e-12) + 1e-14
    assert_close(cov - np.diag(np.diag(cov)), np.zeros_like(cov), rtol=0, atol=atol,
                 name="off-diagonal covariance of the rotated data")
    assert_close(np.diag(cov), want, rtol=0, atol=atol,
                 name="variances along the axes vs eigenvalues of X^T X / N (decreasing)")
    variance = fitted_attribute(est, "explained_variance_", label=f"{impl.name}.pca")
    assert_close(variance, want, rtol=0, atol=atol, name="explained_variance_")


@invariant("pca")
@given(split=data_splits(TALL_KINDS, full_rank=True), k_fraction=st.floats(0.0, 1.0))
def test_pca_components_orthonormal(impl, split, k_fraction):
    """components_ is [D x k] with orthonormal columns, and transform projects onto it."""
    _, train, test = split
    d = train.shape[1]
    k = 1 + int(k_fraction * (d - 1))
    est = _fit(impl, "pca", train, n_components=k)
    U = fitted_attribute(est, "components_", label=f"{impl.name}.pca")
    assert U.shape == (d, k), f"components_ has shape {U.shape}; expected (D, k) = {(d, k)}"
    assert_close(U.T @ U, np.eye(k), rtol=0, atol=1e-10, name="components_^T components_")
    Z = _transform(impl, "pca", est, test, output="shape:X:1")
    assert_close(Z, (test - train.mean(axis=0)) @ U, rtol=PREC, atol=_atol(train, test),
                 name="transform(test) vs (test - training mean) @ components_")


@invariant("pca")
@given(split=data_splits(TALL_KINDS, full_rank=True))
def test_pca_full_reconstruction_is_exact(impl, split):
    """With k = D, inverse_transform(transform(X)) gives back X (train and test)."""
    _, train, test = split
    _round_trip(impl, "pca", train, test)


@invariant("pca")
@given(split=data_splits(TALL_KINDS, full_rank=True), k_fraction=st.floats(0.0, 1.0))
def test_pca_keeps_top_k_variance(impl, split, k_fraction):
    """Reducing to k axes keeps the k largest eigenvalues' variance, and the mean squared
    reconstruction error equals the sum of the discarded eigenvalues."""
    _, train, _ = split
    d = train.shape[1]
    k = 1 + int(k_fraction * (d - 1))
    est = _fit(impl, "pca", train, n_components=k)
    Z = _transform(impl, "pca", est, train, output="shape:X:1")
    assert Z.shape == (len(train), k), f"transform gave shape {Z.shape}; expected {(len(train), k)}"
    values = _eigenvalues(train)
    atol = PREC * max(float(values.sum()), 1e-12) + 1e-14
    kept = float(np.sum(Z**2) / len(Z))
    assert_close(kept, values[:k].sum(), rtol=0, atol=atol,
                 name=f"variance kept by {k} of {d} axes vs the top-{k} eigenvalues")
    back = _inverse(impl, "pca", est, Z)
    error = float(np.sum((train - back) ** 2) / len(train))
    assert_close(error, values[k:].sum(), rtol=0, atol=atol,
                 name="mean squared reconstruction error vs the discarded eigenvalues")


@invariant("pca")
@given(split=data_splits(("wide",)))
def test_pca_fewer_rows_than_features_keeps_d_axes(impl, split):
    """With fewer training rows than features (N < D) PCA still has D axes, one per
    feature: components_ is [D x D] and orthonormal, and the rotated training data [N x D]
    has the diagonal covariance of the eigenvalues of X^T X / N, at most N - 1 of them not 0."""
    _, train, _ = split
    d = train.shape[1]
    est = _fit(impl, "pca", train)
    U = fitted_attribute(est, "components_", label=f"{impl.name}.pca")
    assert U.shape == (d, d), f"components_ has shape {U.shape}; expected (D, D) = {(d, d)}"
    assert_close(U.T @ U, np.eye(d), rtol=0, atol=1e-10, name="components_^T components_")
    Z = _transform(impl, "pca", est, train)
    want = _eigenvalues(train)
    atol = PREC * max(float(want[0]), 1e-12) + 1e-14
    assert_close(Z.T @ Z / len(Z), np.diag(want), rtol=0, atol=atol,
                 name="covariance of the rotated data vs diag(eigenvalues of X^T X / N)")


@invariant("pca")
@given(split=data_splits(FULL_RANK_KINDS, full_rank=True))
def test_pca_uses_training_statistics(impl, split):
    """A test split is centered with the training mean and projected on the training axes:
    transforming its rows one at a time or all together gives the same result."""
    _, train, test = split
    est = _fit(impl, "pca", train)
    U = fitted_attribute(est, "components_", label=f"{impl.name}.pca")
    Z = _transform(impl, "pca", est, test)
    atol = _atol(train, test)
    assert_close(Z, (test - train.mean(axis=0)) @ U, rtol=PREC, atol=atol, name="transform(test)")
    one_by_one = _rows_one_at_a_time(impl, "pca", est, test)
    assert_close(one_by_one, Z, rtol=PREC, atol=atol, name="rows transformed one at a time")


@invariant("pca")
@given(data=exact_covariance_data(), seed=st.integers(0, 2**32 - 1))
def test_pca_equivariant_to_orthogonal_change_of_basis(impl, data, seed):
    """Rotating the input basis (X -> X Q, Q orthogonal) leaves the PCA output unchanged up
    to the sign of each component."""
    X, _, _, _ = data
    d = X.shape[1]
    Q = orthogonal_matrix(d, seed)
    test = np.random.default_rng(seed).normal(0.0, 3.0, (4, d))
    out = _transform(impl, "pca", _fit(impl, "pca", X), test)
    rotated = _transform(impl, "pca", _fit(impl, "pca", X @ Q), test @ Q)
    assert_close(_align_signs(rotated, out), out, rtol=1e-7, atol=1e-7 * _atol(X, test) / PREC,
                 name="PCA output after an orthogonal change of basis (signs aligned)")


# ----------------------------------------------------------------------------- whitening

def _whitened_covariance(impl, train, **params):
    est = _fit(impl, "whitening", train, **params)
    Z = _transform(impl, "whitening", est, train)
    return Z.T @ Z / len(Z)


def _assert_shrunk_identity(impl, train, eps) -> None:
    """Whitened ``train`` (eps as given, None: the default 1e-5) has covariance
    diag(S / (S + eps)), to the round-off of an eigensolver."""
    params = {} if eps is None else {"eps": eps}
    cov = _whitened_covariance(impl, train, **params)
    eps = 1e-5 if eps is None else eps
    S = _eigenvalues(train)
    want = S / (S + eps)
    # Any eigensolver leaves an absolute error ~ D * machine-eps * S_max in each eigenvalue
    # (and in u_i^T C u_j); whitening divides it by sqrt((S_i + eps)(S_j + eps)), which for a
    # direction of (near) zero variance amplifies it by up to 1 / eps.
    noise = _eigensolver_noise(train.shape[1], max(float(S[0]), 1e-300))
    scale = np.sqrt(S + eps)
    off = cov - np.diag(np.diag(cov))
    assert_within(off, np.zeros_like(off), 1e-8 + noise / np.outer(scale, scale),
                  "off-diagonal covariance of the whitened data")
    assert_within(np.diag(cov), want, 1e-8 + 2 * noise * eps / scale**4,
                  "diagonal vs S / (S + eps)")


@invariant("whitening")
@given(split=data_splits(TALL_KINDS, full_rank=True),
       eps=st.one_of(st.none(), st.floats(1e-3, 10.0)))
def test_whitening_covariance_is_shrunk_identity(impl, split, eps):
    """Whitened training data has covariance diag(S / (S + eps)): the identity, except that
    eps shrinks directions of small variance S (default eps 1e-5; rank-deficient data too)."""
    _assert_shrunk_identity(impl, split[1], eps)


@invariant("whitening")
@given(split=data_splits(("wide",)), eps=st.one_of(st.none(), st.floats(1e-3, 10.0)))
def test_whitening_fewer_rows_than_features(impl, split, eps):
    """With fewer training rows than features (N < D), whitened training data is [N x D]
    with covariance diag(S / (S + eps)): its D - N + 1 directions without variance stay 0."""
    _assert_shrunk_identity(impl, split[1], eps)


@invariant("whitening")
@given(split=data_splits(("rank_deficient", "constant_columns"), full_rank=True))
def test_whitening_does_not_amplify_null_directions(impl, split):
    """On data with null directions (dependent or constant features), whitening with its
    default eps leaves every direction's training variance S / (S + eps) <= 1: the round-off
    that an eigensolver leaves in a direction of zero variance is damped, not divided by
    ~0 and blown up (the blow-up of eps = 0 that scikit-learn#29534 reports)."""
    _, train, _ = split
    variances = np.diag(_whitened_covariance(impl, train))
    S = _eigenvalues(train)
    # the eigensolver's error in u^T C u (see the test above), divided by S + eps >= eps
    allowed = 1.0 + 1e-8 + _eigensolver_noise(train.shape[1], float(S[0])) / 1e-5
    worst = int(np.argmax(variances))
    assert variances[worst] <= allowed, (
        f"whitened direction {worst} has training variance {variances[worst]:.6g} > 1 "
        f"(round-off allows 1 + {allowed - 1:.2g}) on data of rank "
        f"{int(np.sum(S > 1e-12 * S[0]))} < D = {train.shape[1]}: round-off in a null "
        "direction was amplified")


@invariant("whitening")
@given(data=exact_covariance_data())
def test_whitening_without_eps_gives_identity_covariance(impl, data):
    """With eps = 0 (the textbook whitening of "Data Preprocessing"), full-rank training data
    comes out with covariance exactly the identity: eps = 0 is honoured, not replaced.

    The data has known, well-separated eigenvalues S (1e-6 <= S <= 100), so a smoothing
    term left in by mistake (say the default 1e-5) moves some variance S / (S + 1e-5) by at
    least 1e-7, far beyond the round-off allowed here.
    """
    X, _, values, _ = data
    cov = _whitened_covariance(impl, X, eps=0.0)
    # The eigensolver's absolute error ~ D * machine-eps * S_max, divided by sqrt(S_i S_j).
    noise = _eigensolver_noise(X.shape[1], float(values[0]))
    scale = np.sqrt(values)
    assert_within(cov, np.eye(len(values)), 1e-8 + noise / np.outer(scale, scale),
                  "covariance of the data whitened with eps = 0")


@invariant("whitening")
@given(data=exact_covariance_data(), k_fraction=st.floats(0.0, 1.0))
def test_whitening_keeps_top_k_axes(impl, data, k_fraction):
    """whitening(n_components=k) whitens only the k axes of largest variance ("Data
    Preprocessing", PCA then whitening): the output is [N x k] with covariance
    diag(S_i / (S_i + eps)) over the top k eigenvalues S_i (default eps 1e-5)."""
    X, _, values, _ = data
    k = 1 + int(k_fraction * (X.shape[1] - 1))
    est = _fit(impl, "whitening", X, n_components=k)
    Z = _transform(impl, "whitening", est, X, output="shape:X:1")
    assert Z.shape == (len(X), k), f"transform gave shape {Z.shape}; expected {(len(X), k)}"
    kept = values[:k]
    noise = _eigensolver_noise(X.shape[1], float(values[0]))
    scale = np.sqrt(kept + 1e-5)
    assert_within(Z.T @ Z / len(Z), np.diag(kept / (kept + 1e-5)),
                  1e-8 + noise / np.outer(scale, scale),
                  f"covariance of the data whitened onto its top {k} axes")


@invariant("whitening")
@given(split=data_splits(FULL_RANK_KINDS, full_rank=True), eps=st.floats(1e-6, 1e-1),
       factor=st.floats(2.0, 1000.0))
def test_whitening_larger_eps_exaggerates_noise_less(impl, split, eps, factor):
    """A larger eps stretches every direction less, and the low-variance (noisy) directions
    lose most: their gain relative to the top direction drops."""
    _, train, _ = split
    small = np.diag(_whitened_covariance(impl, train, eps=eps))
    large = np.diag(_whitened_covariance(impl, train, eps=eps * factor))
    excess = np.maximum(large - small * (1 - 1e-12), 0.0)  # a comparison, so it can be bounded
    assert_close(excess, np.zeros_like(excess), rtol=0, atol=0,
                 name=f"how far the whitened variances with eps={eps * factor:g} {large} are "
                      f"not below those with eps={eps:g} {small}")
    S = _eigenvalues(train)
    gain_small, gain_large = small / S, large / S  # squared gains 1 / (S + eps)
    rel_small, rel_large = gain_small[-1] / gain_small[0], gain_large[-1] / gain_large[0]
    assert rel_large <= rel_small * (1 + 1e-9), (
        f"relative squared gain of the lowest-variance direction grew from {rel_small:g} to "
        f"{rel_large:g} when eps grew")


@invariant("whitening")
@given(split=data_splits(FULL_RANK_KINDS, full_rank=True))
def test_whitening_uses_training_statistics(impl, split):
    """A test split is whitened with the training mean, axes and variances: transforming its
    rows one at a time or all together gives the same result, which is the training map.

    The map's gain per axis is read from the training split's own whitened output, so this
    judges only where the statistics come from (the eps of the gain has invariants above)."""
    _, train, test = split
    est = _fit(impl, "whitening", train)
    Z = _transform(impl, "whitening", est, test)
    U = fitted_attribute(est, "components_", label=f"{impl.name}.whitening")
    projected = (train - train.mean(axis=0)) @ U
    gain = (np.sum(_transform(impl, "whitening", est, train) * projected, axis=0)
            / np.sum(projected**2, axis=0))  # full rank: no axis without variance
    expected = (test - train.mean(axis=0)) @ U * gain
    atol = 1e-7 * max(1.0, float(np.abs(expected).max()))
    assert_close(Z, expected, rtol=1e-7, atol=atol, name="transform(test)")
    one_by_one = _rows_one_at_a_time(impl, "whitening", est, test)
    assert_close(one_by_one, Z, rtol=1e-7, atol=atol, name="rows transformed one at a time")


@invariant("whitening")
@given(split=data_splits(FULL_RANK_KINDS, full_rank=True))
def test_whitening_inverse_round_trip(impl, split):
    """With k = D and full-rank data, inverse_transform(transform(X)) gives back X."""
    _, train, test = split
    est = _fit(impl, "whitening", train)
    for label, X in (("train", train), ("test", test)):
        back = _inverse(impl, "whitening", est, _transform(impl, "whitening", est, X))
        assert_close(back, X, rtol=1e-7, atol=1e-7 * _atol(X) / PREC,
                     name=f"inverse(transform({label}))")
