"""scikit-learn as an implementation under test (``--impl sklearn``; extra ``nncheck[sklearn]``).

==========================  =================================================================
component                   scikit-learn API
==========================  =================================================================
mean_subtraction            ``StandardScaler(with_std=False)``
standardization             ``StandardScaler()``
minmax_scaling              ``MinMaxScaler(feature_range=(-1, 1))``
pca                         ``PCA(n_components)``, seen through :class:`PCAView`
whitening                   ``PCA(n_components, whiten=True)``, seen through :class:`PCAView`
glorot_init                 the initialization of ``MLPClassifier`` (``_init_coef``, relu)
==========================  =================================================================

Conventions that differ from the contract (``/work/shared/DESIGN.md``) are converted here and
declared as deviations; everything else is sklearn's own answer. Section of the notes: "Data
Preprocessing" and "Weight Initialization".
"""

from __future__ import annotations

import numpy as np

from nncheck.adapters import reject_unknown_options
from nncheck.errors import UsageError
from nncheck.implementation import Bound, Deviation, Implementation
from nncheck.stats import DrawnFrom

PCA_LAYOUT = ("sklearn components_ is [k x D] (rows) and explained_variance_ divides by N - 1; "
              "the adapter exposes components_.T and explained_variance_ * (N - 1) / N")
WHITEN_N = ("sklearn whitening divides by sqrt(explained_variance_) with N - 1; the adapter "
            "multiplies sklearn's whitened output by sqrt(N / (N - 1)). sklearn has NO eps: that "
            "is not mapped (it is why rank-deficient data blows up)")
WHITEN_NO_EPS = ("sklearn PCA(whiten=True) has no eps parameter, so a larger eps cannot change "
                 "its output")
WHITEN_UNIT = ("sklearn PCA(whiten=True) has no eps: it whitens every direction to variance 1, "
               "not S / (S + eps), which differs by eps / (S + eps) <= 1 (a null direction "
               "blown up beyond unit variance still fails: scikit-learn#29534)")
MINMAX_CONSTANT = ("sklearn MinMaxScaler maps a constant feature to the low end of "
                   "feature_range (-1), not to 0 (its scale_ is 1 where the range is 0)")
FEWER_ROWS = ("sklearn PCA keeps at most min(N, D) components and refuses more: with fewer "
              "rows than features (N < D) it raises 'n_components=D must be between 0 and "
              "min(n_samples, n_features)' (the adapter asks for k = D, the contract's default)")
# U(-b, b) divided by the promised std sqrt(2 / (fan_in + fan_out)) is U(-sqrt(3), sqrt(3))
GLOROT_UNIFORM = DrawnFrom("uniform", {"loc": -np.sqrt(3.0), "scale": 2 * np.sqrt(3.0)},
                           "a uniform distribution of unit variance")
# Without an eps, a larger eps leaves the whitened variances where they were (1): they are
# not below, by 1e-12 of themselves plus rounding. A variance that GREW with eps is beyond.
EPS_HAS_NO_EFFECT = Bound(atol=1e-9, rtol=0.0)
MLP_INIT = ("sklearn MLP draws Glorot UNIFORM weights, U(-b, b) with b = sqrt(6 / (fan_in + "
            "fan_out)): the variance 2 / (fan_in + fan_out) of the contract, not its normal "
            "shape")

DEVIATIONS = [
    Deviation("minmax_scaling", MINMAX_CONSTANT, invariant="minmax_constant_features_map_to_zero",
              kind="expected-failure", bound=Bound(atol=1.0)),
    *(Deviation("whitening", WHITEN_UNIT, invariant=i, kind="expected-failure",
                bound=Bound(atol=1.0 + 1e-6))  # variance 1 where S / (S + eps) is ~0
      for i in ("whitening_covariance_is_shrunk_identity", "whitening_keeps_top_k_axes")),
    *(Deviation(c, FEWER_ROWS, invariant=i, kind="refusal") for c, i in (
        ("pca", "pca_fewer_rows_than_features_keeps_d_axes"),
        ("whitening", "whitening_fewer_rows_than_features"))),
    Deviation("pca", PCA_LAYOUT),
    Deviation("whitening", WHITEN_NO_EPS, invariant="whitening_larger_eps_exaggerates_noise_less",
              kind="expected-failure", bound=EPS_HAS_NO_EFFECT),
    Deviation("whitening", f"{PCA_LAYOUT}; {WHITEN_N}"),
    Deviation("glorot_init", MLP_INIT, invariant="glorot_init_normal_shape",
              kind="expected-failure", bound=GLOROT_UNIFORM),
]


def _sklearn():
    try:
        import sklearn
    except ImportError:
        raise UsageError("the sklearn adapter needs scikit-learn: "
                         "pip install 'nncheck[sklearn]'") from None
    return sklearn


class PCAView:
    """A fitted sklearn PCA seen in the contract's layout (see ``pca`` in nncheck list)."""

    def __init__(self, n_components=None, whiten=False):
        from sklearn.decomposition import PCA

        self.pca = PCA(n_components=n_components, whiten=whiten)
        self.whiten = whiten

    def fit(self, X):
        if self.pca.n_components is None:  # the contract's default k is D, as sklearn is told
            self.pca.n_components = np.shape(X)[1]
        self.pca.fit(X)
        n = self.n_ = X.shape[0]
        self.mean_ = self.pca.mean_
        self.components_ = self.pca.components_.T.copy()
        self.explained_variance_ = self.pca.explained_variance_ * (n - 1) / n
        return self

    def transform(self, X):
        Z = self.pca.transform(X)
        if self.whiten:  # sklearn divided by sqrt(variance with N - 1); the contract uses N
            Z = Z * np.sqrt(self.n_ / (self.n_ - 1))
        return Z

    def inverse_transform(self, Z):
        if self.whiten:
            Z = Z / np.sqrt(self.n_ / (self.n_ - 1))
        return self.pca.inverse_transform(Z)


def load(options: dict | None = None) -> Implementation:
    reject_unknown_options(options or {}, set(), "the sklearn adapter")
    sklearn = _sklearn()
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    def mean_subtraction():
        return StandardScaler(with_std=False)

    def standardization():
        return StandardScaler()

    def minmax_scaling():
        return MinMaxScaler(feature_range=(-1, 1))

    def pca(n_components=None):
        return PCAView(n_components)

    def whitening(n_components=None, eps=1e-5):
        return PCAView(n_components, whiten=True)  # sklearn has no eps: not passed on

    def glorot_init(fan_in, fan_out, seed):
        mlp = MLPClassifier(activation="relu", random_state=int(seed))
        mlp._random_state = np.random.RandomState(int(seed))  # what fit() would set up
        coef, _ = mlp._init_coef(int(fan_in), int(fan_out), np.float64)
        return coef

    functions = {"mean_subtraction": mean_subtraction, "standardization": standardization,
                 "minmax_scaling": minmax_scaling, "pca": pca, "whitening": whitening,
                 "glorot_init": glorot_init}
    return Implementation("sklearn", functions, version=sklearn.__version__,
                          source="scikit-learn", deviations=DEVIATIONS)
