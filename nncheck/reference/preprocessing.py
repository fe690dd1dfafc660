"""Reference preprocessors for the notes' section "Data Preprocessing".

Every preprocessor is an *estimator* (see "The estimator protocol" in docs/preprocessing.md):
the contract function is its constructor, ``fit(X)`` computes statistics from the training
split only and returns the estimator, ``transform(X)`` applies those statistics to any split,
and ``inverse_transform(Z)`` undoes the map where it can be undone. ``fit_transform(X)`` is
``fit(X).transform(X)``.

Conventions (DESIGN.md, "Conventions of the contract"):

* X is [N x D], one example per row; statistics are population statistics: the std has
  ddof=0 and the covariance is Xc^T Xc / N, with Xc the centered training data.
* A *constant* feature (all its training values equal) is centered to exactly 0 and then left
  unscaled by standardization and min-max scaling: its scale is 1, never 0, so no division
  blows up. Test values of such a feature come out as (x - training value).
* PCA keeps the eigenvectors of the covariance as the COLUMNS of ``components_`` ([D x k]),
  sorted by decreasing eigenvalue; eigenvalues are clipped at 0 (negative ones are round-off of
  a positive semi-definite matrix). Each column's sign is fixed so that its entry of largest
  magnitude is positive, which makes the output deterministic.
* Whitening divides each PCA coordinate by sqrt(eigenvalue + eps), eps = 1e-5 by default.
  With eps > 0 rank-deficient data stays finite (a null direction maps to 0). With eps = 0
  directions whose eigenvalue is numerically zero (below max eigenvalue * D * machine epsilon)
  map to 0 instead of being divided by 0.

dtype: float64 is the contract's boundary type. The reference also accepts float32 input (the
CIFAR-sized benchmark uses it): the two large matrix products (the covariance and the
projection) then run in float32 on chunks of rows, while the mean, the accumulation of the
covariance over chunks, and the eigendecomposition are float64; outputs are float32.
Any other input dtype (integers, bool) is converted to float64.

Scale: PCA and whitening never copy the whole of X. The covariance is accumulated from one
symmetric product (BLAS syrk) per chunk of centered rows, the eigendecomposition is a
symmetric ``eigh`` of the D x D covariance (not an SVD of the data), and ``transform``
centers and projects one chunk of rows at a time into a preallocated output. Peak memory is
about the input plus the output plus a few D x D matrices.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MeanSubtraction",
    "GlobalMeanSubtraction",
    "ChannelMeanSubtraction",
    "Standardization",
    "MinMaxScaling",
    "PCA",
    "Whitening",
]

# Bytes of centered rows materialised at once by PCA/whitening (a chunk of X).
CHUNK_BYTES = 64 * 2**20


# ------------------------------------------------------------------------------ helpers

def _as_data(X, name: str = "X", n_features: int | None = None) -> np.ndarray:
    """X as a 2-D floating array (float64, or float32 kept as is); clear errors otherwise."""
    X = np.asarray(X)
    if X.dtype not in (np.float64, np.float32):
        if not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
            raise TypeError(f"{name} must hold real numbers, got dtype {X.dtype}")
        if np.iscomplexobj(X):
            raise TypeError(f"{name} must be real, got dtype {X.dtype}")
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D [N x D] data matrix, got shape {X.shape}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features; the estimator was fitted on "
                         f"{n_features}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinity")
    return X


def _column_mean(X: np.ndarray) -> np.ndarray:
    """Per-feature mean, accumulated in float64."""
    return np.mean(X, axis=0, dtype=np.float64)


def _constant_columns(X: np.ndarray) -> np.ndarray:
    """Mask of the features whose training values are all equal."""
    return np.all(X == X[0], axis=0)


def _exact_mean(X: np.ndarray) -> np.ndarray:
    """Per-feature mean in float64; a constant feature's mean is exactly its value."""
    mean = _column_mean(X)
    constant = _constant_columns(X)
    mean[constant] = X[0, constant]
    return mean


class _Estimator:
    """fit / transform / fit_transform plumbing shared by every preprocessor."""

    _fitted_attribute = "mean_"

    def fit(self, X):  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def _require_fitted(self) -> None:
        if not hasattr(self, self._fitted_attribute):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(X_train) first")

    def _data(self, X, name: str = "X") -> np.ndarray:
        self._require_fitted()
        return _as_data(X, name, self.n_features_)

    def _out(self, values: np.ndarray, like: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=like.dtype)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params})"

    def _params(self) -> dict:
        return {}


# ---------------------------------------------------------------------- mean subtraction

class MeanSubtraction(_Estimator):
    """Subtract the per-feature training mean ("Data Preprocessing", mean subtraction).

    Fitted: ``mean_`` [D] (float64). transform(X) = X - mean_; inverse_transform(Z) = Z + mean_.
    """

    def fit(self, X):
        X = _as_data(X)
        self.n_features_ = X.shape[1]
        self.mean_ = _exact_mean(X)
        return self

    def transform(self, X):
        X = self._data(X)
        return self._out(X - self.mean_, X)

    def inverse_transform(self, Z):
        Z = self._data(Z, "Z")
        return self._out(Z + self.mean_, Z)


class GlobalMeanSubtraction(MeanSubtraction):
    """Subtract one number, the mean of every training value (the images variant).

    Fitted: ``mean_`` (a float64 scalar). transform(X) = X - mean_; inverse adds it back
    (both inherited from :class:`MeanSubtraction`; only the fitted statistic differs).
    """

    def fit(self, X):
        X = _as_data(X)
        self.n_features_ = X.shape[1]
        self.mean_ = float(X[0, 0]) if np.all(X == X[0, 0]) else float(np.mean(X, dtype=np.float64))
        return self


class ChannelMeanSubtraction(_Estimator):
    """Subtract a per-channel mean from images stored as rows of [C*H*W] (channel-major).

    Row i reshaped to [C, H*W] holds channel c in its c-th block of H*W values. Fitted:
    ``mean_`` [C], the mean of channel c over every training image and pixel.
    """

    def __init__(self, channels: int = 3):
        if isinstance(channels, bool) or not isinstance(channels, (int, np.integer)) \
                or channels < 1:
            raise ValueError(f"channels must be a positive integer, got {channels!r}")
        self.channels = int(channels)

    def _params(self):
        return {"channels": self.channels}

    def _blocks(self, X: np.ndarray) -> np.ndarray:
        if X.shape[1] % self.channels:
            raise ValueError(f"rows of {X.shape[1]} values cannot hold {self.channels} "
                             "channels of equal size (D must be C*H*W)")
        return X.reshape(X.shape[0], self.channels, X.shape[1] // self.channels)

    def fit(self, X):
        X = _as_data(X)
        blocks = self._blocks(X)
        self.n_features_ = X.shape[1]
        per_channel = blocks.transpose(1, 0, 2).reshape(self.channels, -1)
        mean = np.mean(per_channel, axis=1, dtype=np.float64)
        constant = np.all(per_channel == per_channel[:, :1], axis=1)
        mean[constant] = per_channel[constant, 0]
        self.mean_ = mean
        return self

    def transform(self, X):
        X = self._data(X)
        out = self._blocks(X) - self.mean_[None, :, None]
        return self._out(out.reshape(X.shape), X)

    def inverse_transform(self, Z):
        Z = self._data(Z, "Z")
        out = self._blocks(Z) + self.mean_[None, :, None]
        return self._out(out.reshape(Z.shape), Z)


# ------------------------------------------------------------------------- normalization

class Standardization(_Estimator):
    """Center each feature, then divide by its training std (ddof=0) ("Normalization").

    Fitted: ``mean_`` [D], ``scale_`` [D] (the std; 1 for a constant feature, which is thus
    centered and left unscaled). transform(X) = (X - mean_) / scale_.
    """

    def fit(self, X):
        X = _as_data(X)
        self.n_features_ = X.shape[1]
        self.mean_ = _exact_mean(X)
        std = np.sqrt(np.mean(np.square(X - self.mean_), axis=0, dtype=np.float64))
        std[_constant_columns(X)] = 1.0
        # A non-constant feature has a positive std in exact arithmetic; guard round-off.
        std[std == 0.0] = 1.0
        self.scale_ = std
        return self

    def transform(self, X):
        X = self._data(X)
        return self._out((X - self.mean_) / self.scale_, X)

    def inverse_transform(self, Z):
        Z = self._data(Z, "Z")
        return self._out(Z * self.scale_ + self.mean_, Z)


class MinMaxScaling(_Estimator):
    """Map each feature's training [min, max] linearly onto [-1, 1] ("Normalization").

    Fitted: ``data_min_`` [D], ``data_max_`` [D]. transform(X) = (X - min) / ((max - min) / 2)
    - 1, which gives exactly -1 at the training min and exactly 1 at the training max. Test
    data is not clipped. A constant feature maps to X - its training value (0 on training data).
    """

    _fitted_attribute = "data_min_"

    def fit(self, X):
        X = _as_data(X)
        self.n_features_ = X.shape[1]
        self.data_min_ = np.min(X, axis=0).astype(np.float64)
        self.data_max_ = np.max(X, axis=0).astype(np.float64)
        constant = self.data_max_ == self.data_min_
        half_range = (self.data_max_ - self.data_min_) / 2.0
        half_range[constant] = 1.0
        self._half_range = half_range
        self._shift = np.where(constant, 0.0, 1.0)
        return self

    def transform(self, X):
        X = self._data(X)
        return self._out((X - self.data_min_) / self._half_range - self._shift, X)

    def inverse_transform(self, Z):
        Z = self._data(Z, "Z")
        return self._out((Z + self._shift) * self._half_range + self.data_min_, Z)


# ------------------------------------------------------------------- PCA and whitening

def _check_n_components(n_components, d: int) -> int:
    if n_components is None:
        return d
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)):
        raise ValueError(f"n_components must be None or an integer, got {n_components!r}")
    if not 1 <= n_components <= d:
        raise ValueError(f"n_components must be in 1..{d} (the number of features), "
                         f"got {n_components}")
    return int(n_components)


def _chunk_rows(X: np.ndarray) -> int:
    return max(1, CHUNK_BYTES // (X.shape[1] * X.itemsize))


def centered_covariance(X: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """(X - mean)^T (X - mean) / N in float64, one chunk of centered rows at a time.

    Each chunk is centered in a copy (in X's dtype; X itself is never copied whole) and
    multiplied with its own transpose, which numpy hands to BLAS syrk; the chunks' products
    are summed in float64.
    """
    n, d = X.shape
    cov = np.zeros((d, d), dtype=np.float64)
    shift = mean.astype(X.dtype)
    step = _chunk_rows(X)
    for start in range(0, n, step):
        block = X[start:start + step] - shift
        cov += block.T @ block
    cov /= n
    return cov


def sorted_eigh(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (decreasing, clipped at 0) and eigenvector columns of a covariance.

    Signs are fixed: the largest-magnitude entry of each eigenvector is positive (the first
    such entry on a tie). ``cov`` is used as scratch space and overwritten.
    """
    from scipy.linalg import eigh  # here: scipy.linalg takes 0.1 s to import

    # LAPACK syevd (divide and conquer); cov is overwritten (the caller's scratch matrix).
    values, vectors = eigh(cov, overwrite_a=True, check_finite=False, driver="evd")
    values = np.clip(values[::-1], 0.0, None)
    vectors = vectors[:, ::-1]  # a view: no copy of the D x D matrix
    pivots = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[pivots, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1.0
    vectors *= signs
    return values, vectors


class PCA(_Estimator):
    """Center, rotate into the eigenbasis of the covariance, keep the top k axes ("PCA").

    Fitted: ``mean_`` [D]; ``components_`` [D x k], the eigenvectors of Xc^T Xc / N as columns,
    by decreasing eigenvalue; ``explained_variance_`` [k], those eigenvalues.
    transform(X) = (X - mean_) @ components_ ([N x k]); inverse_transform(Z) =
    Z @ components_.T + mean_ (exact when k = D).
    """

    def __init__(self, n_components: int | None = None):
        if n_components is not None and (
                isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer))
                or n_components < 1):
            raise ValueError("n_components must be None or a positive integer, got "
                             f"{n_components!r}")
        self.n_components = None if n_components is None else int(n_components)

    def _params(self):
        return {"n_components": self.n_components}

    def fit(self, X):
        X = _as_data(X)
        k = _check_n_components(self.n_components, X.shape[1])
        self.n_features_ = X.shape[1]
        self.mean_ = _exact_mean(X)
        values, vectors = sorted_eigh(centered_covariance(X, self.mean_))
        self.n_components_ = k
        self.explained_variance_ = values[:k].copy()
        self.components_ = np.ascontiguousarray(vectors[:, :k])
        return self

    def _projection(self) -> np.ndarray:
        """The [D x k] matrix that maps centered rows to the output."""
        return self.components_

    def _reconstruction(self) -> np.ndarray:
        """The [k x D] matrix that maps outputs back to centered rows."""
        return self.components_.T

    def transform(self, X):
        X = self._data(X)
        return _project(X, self.mean_, self._projection())

    def inverse_transform(self, Z):
        self._require_fitted()
        Z = _as_data(Z, "Z", self.n_components_)
        back = self._reconstruction().astype(Z.dtype)
        out = Z @ back
        out += self.mean_.astype(Z.dtype)
        return out


def _project(X: np.ndarray, mean: np.ndarray, W: np.ndarray) -> np.ndarray:
    """(X - mean) @ W one chunk of rows at a time, in X's dtype, into one output array."""
    W = W.astype(X.dtype)
    shift = mean.astype(X.dtype)
    out = np.empty((X.shape[0], W.shape[1]), dtype=X.dtype)
    step = _chunk_rows(X)
    for start in range(0, X.shape[0], step):
        np.matmul(X[start:start + step] - shift, W, out=out[start:start + step])
    return out


class Whitening(PCA):
    """PCA rotation, then each axis divided by sqrt(eigenvalue + eps) ("Whitening").

    Fitted: as :class:`PCA`. transform(X) = (X - mean_) @ components_ / sqrt(explained_variance_
    + eps); the whitened training data has covariance diag(S / (S + eps)), which is the
    identity up to the shrinkage eps applies to low-variance directions.
    """

    def __init__(self, n_components: int | None = None, eps: float = 1e-5):
        super().__init__(n_components)
        if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating, np.integer)) \
                or not np.isfinite(eps) or eps < 0:
            raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
        self.eps = float(eps)

    def _params(self):
        return {"n_components": self.n_components, "eps": self.eps}

    def _gains(self) -> np.ndarray:
        """1 / sqrt(S + eps) per kept axis; 0 for a null axis when eps = 0."""
        denom = np.sqrt(self.explained_variance_ + self.eps)
        if self.eps > 0:
            return 1.0 / denom
        top = self.explained_variance_[0] if self.explained_variance_.size else 0.0
        null = self.explained_variance_ <= top * self.n_features_ * np.finfo(np.float64).eps
        return np.where(null, 0.0, 1.0 / np.where(null, 1.0, denom))

    def _projection(self):
        return self.components_ * self._gains()

    def _reconstruction(self):
        return (self.components_ * np.sqrt(self.explained_variance_ + self.eps)).T
