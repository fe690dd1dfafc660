"""The reference preprocessors' own edge cases, and the estimator call helpers."""

from __future__ import annotations

import numpy as np
import pytest

from nncheck.errors import ContractViolation, ImplementationRaised
from nncheck.reference import preprocessing as pre
from nncheck.runtime.calling import call_method, fitted_attribute


def _data(n=40, d=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) @ rng.standard_normal((d, d)) + 50.0


def test_chunked_covariance_and_projection_match_one_block(monkeypatch):
    X = _data(n=103)
    whole = pre.Whitening(eps=0.1).fit(X)
    Z = whole.transform(X)
    monkeypatch.setattr(pre, "CHUNK_BYTES", 7 * X.shape[1] * 8)  # chunks of 7 rows
    chunked = pre.Whitening(eps=0.1).fit(X)
    np.testing.assert_allclose(chunked.explained_variance_, whole.explained_variance_, rtol=1e-12)
    np.testing.assert_allclose(chunked.transform(X), Z, rtol=1e-10, atol=1e-12)


def test_float32_input_gives_float32_output_close_to_float64():
    X = _data()
    ref = pre.Whitening().fit(X).transform(X)
    out = pre.Whitening().fit(X.astype(np.float32)).transform(X.astype(np.float32))
    assert out.dtype == np.float32
    # signs are fixed by the reference's convention, so the two agree column by column
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-3 * np.abs(ref).max())


def test_integer_input_is_converted_to_float64():
    X = np.arange(12).reshape(4, 3)
    out = pre.MeanSubtraction().fit(X).transform(X)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.mean(axis=0), 0.0)


def test_whitening_eps_zero_maps_null_directions_to_zero():
    X = _data(d=4)
    X = np.hstack([X, X[:, :1] + X[:, 1:2]])  # rank 4 in 5 dimensions
    est = pre.Whitening(eps=0.0).fit(X)
    Z = est.transform(X)
    assert np.isfinite(Z).all()
    np.testing.assert_allclose(np.diag(Z.T @ Z / len(Z)), [1, 1, 1, 1, 0], atol=1e-9)


def test_pca_components_have_a_fixed_sign_convention():
    U = pre.PCA().fit(_data()).components_
    pivots = np.argmax(np.abs(U), axis=0)
    assert np.all(U[pivots, np.arange(U.shape[1])] > 0)


@pytest.mark.parametrize("make, X, message", [
    (pre.MeanSubtraction, np.zeros(3), "2-D"),
    (pre.MeanSubtraction, np.array([[np.nan, 1.0]]), "NaN"),
    (lambda: pre.ChannelMeanSubtraction(2), np.zeros((2, 3)), "C\\*H\\*W"),
    (lambda: pre.PCA(n_components=4), np.zeros((5, 3)), "n_components"),
])
def test_bad_input_gets_a_clear_error(make, X, message):
    with pytest.raises(ValueError, match=message):
        make().fit(X)


def test_bad_parameters_and_unfitted_use_are_refused():
    with pytest.raises(ValueError, match="eps"):
        pre.Whitening(eps=-1.0)
    with pytest.raises(ValueError, match="n_components"):
        pre.PCA(n_components=0)
    with pytest.raises(RuntimeError, match="not fitted"):
        pre.Standardization().transform(np.zeros((2, 2)))
    est = pre.Standardization().fit(np.eye(3))
    with pytest.raises(ValueError, match="fitted on 3"):
        est.transform(np.zeros((2, 4)))


# ------------------------------------------------------------- calling.call_method

class _Bad:
    def fit(self, X):
        return None  # not self

    def transform(self, X):
        X -= X.mean(axis=0)  # mutates its input
        return X

    def inverse_transform(self, Z):
        return Z.astype(np.float32)


def test_call_method_checks_the_protocol():
    est, X = _Bad(), _data()
    with pytest.raises(ContractViolation, match="must return the estimator itself"):
        call_method(est, "fit", X, output="self")
    with pytest.raises(ContractViolation, match="mutated its input"):
        call_method(est, "transform", X.copy(), output="like:X")
    with pytest.raises(ContractViolation, match="float64"):
        call_method(est, "inverse_transform", X, output="like:Z")
    with pytest.raises(ContractViolation, match="no method fit_transform"):
        call_method(object(), "fit_transform", X)
    with pytest.raises(ContractViolation, match="no fitted attribute 'mean_'"):
        fitted_attribute(est, "mean_")


def test_call_method_checks_shape_and_turns_raises_into_verdicts():
    est = pre.PCA(n_components=2).fit(_data())
    X = _data(n=6)
    with pytest.raises(ContractViolation, match="shape"):
        call_method(est, "transform", X, output="like:X")
    assert call_method(est, "transform", X, output="shape:X:1").shape == (6, 2)
    with pytest.raises(ImplementationRaised, match="ValueError"):
        call_method(est, "transform", np.zeros((2, 3)), output="shape:X:1")
