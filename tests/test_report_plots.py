"""The measurements behind the report's plots, and the plots (nncheck.report.plots).

Each measurement is checked to show what the notes predict for a correct implementation
(the test implementation in tests/report_impls, and the nncheck reference for every
component it has), and to show the bug for a broken one: a plot that looks the same for
both would be decoration.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import numpy as np
import pytest

from nncheck.adapters.module import load_file_as_module
from nncheck.adapters.reference import load as load_reference
from nncheck.implementation import Implementation
from nncheck.report.plots import INIT_STD, measure, render

IMPLS = Path(__file__).parent / "report_impls"
MIXED = load_file_as_module(IMPLS / "nncheck_mixed_impl.py")
KINDS = ("covariance", "init_histogram", "activation_variance", "gradient_errors",
         "dropout_expectation")


def _by(measurements, kind):
    return {m["component"]: m for m in measurements if m["kind"] == kind}


@pytest.fixture(scope="module")
def mixed():
    return measure(MIXED.load())


@pytest.fixture(scope="module")
def reference():
    return measure(load_reference())


# ---------------------------------------------------------------- what each plot must show

def check_covariance(entries):
    for name, m in entries.items():
        assert "error" not in m, m
        before, after = np.array(m["data"]["before"]), np.array(m["data"]["after"])
        assert np.abs(before - np.diag(np.diag(before))).max() > 1  # correlated input
        off = after - np.diag(np.diag(after))
        assert np.abs(off).max() < 1e-8 * np.abs(after).max()
        diagonal = np.diag(after)
        if name == "pca":
            assert np.all(np.diff(diagonal) <= 1e-9)  # decreasing variance
            np.testing.assert_allclose(np.sort(diagonal), np.sort(np.linalg.eigvalsh(before)),
                                       rtol=1e-9)
        else:
            np.testing.assert_allclose(diagonal, 1.0, atol=1e-3)


def check_init_histogram(entries):
    for m in entries.values():
        assert "error" not in m, m
        d = m["data"]
        # 1e-9 false-alarm bound on the sample std of n normal draws: sd(s)/s ~ 1/sqrt(2n)
        assert abs(d["measured_std"] / d["expected_std"] - 1) < 6.1 / np.sqrt(2 * d["n"]), m
        assert sum(d["counts"]) + d["outside"] == d["n"]


def check_activation_variance(entries):
    for name, m in entries.items():
        assert "error" not in m, m
        v = np.array(m["data"]["variances"])
        ratios = v[1:] / v[:-1]
        if name == "he_init":  # level: ReLU halves, He doubles
            assert np.all(np.abs(ratios - 1) < 0.3), ratios
        elif name == "calibrated_init":  # 1/n: every ReLU layer halves the variance
            assert np.all(np.abs(ratios - 0.5) < 0.15), ratios
        elif name == "small_random_init":  # vanishes
            assert v[-1] < 1e-12 * v[0]


def check_gradient_errors(entries):
    for name, m in entries.items():
        assert "error" not in m, (name, m)
        # central differences of a correct gradient: round-off level, far below 1e-2 (wrong)
        assert m["data"]["median"] < 1e-7 and m["data"]["max"] < 1e-3, (name, m["data"])


def check_dropout_expectation(entries):
    for name, m in entries.items():
        assert "error" not in m, m
        d = m["data"]
        train, want, band = (np.array(d[k]) for k in ("train_mean", "expected_train", "band"))
        assert np.all(np.abs(train - want) <= band), (name, train, want, band)
        np.testing.assert_allclose(d["test_mean"], d["expected_test"], rtol=1e-12)


CHECKS = {kind: globals()[f"check_{kind}"] for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
def test_correct_test_implementation_looks_as_the_notes_predict(mixed, kind):
    entries = _by(mixed, kind)
    assert entries, f"no {kind} measurement"
    CHECKS[kind](entries)


@pytest.mark.parametrize("kind", KINDS)
def test_reference_looks_as_the_notes_predict(reference, kind):
    entries = _by(reference, kind)
    if not entries:
        pytest.skip(f"the reference has no component measured as {kind} yet")
    CHECKS[kind](entries)


# ------------------------------------------------------------------------ bugs are visible

def _with(**functions):
    return Implementation("buggy", functions)


def test_histogram_and_variance_show_a_missing_factor_two():
    def he_without_2(fan_in, fan_out, seed):  # Var(w) = 1/n: the calibrated scheme, not He
        return np.random.default_rng(seed).standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)

    found = measure(_with(he_init=he_without_2))
    hist = _by(found, "init_histogram")["he_init"]["data"]
    assert abs(hist["measured_std"] / hist["expected_std"] - 1) > 0.25
    with pytest.raises(AssertionError):
        check_activation_variance(_by(found, "activation_variance"))


def test_dropout_plot_shows_a_forgotten_one_over_p():
    def no_rescale(x, p, mode, seed):
        if mode == "test":
            return x.copy(), None
        mask = np.random.default_rng(seed).random(x.shape) < p
        return x * mask, mask

    with pytest.raises(AssertionError):
        check_dropout_expectation(_by(measure(_with(dropout_forward=no_rescale)),
                                      "dropout_expectation"))


def test_gradient_plot_shows_a_wrong_gradient():
    def l2_twice(W, reg):
        return 0.5 * reg * float(np.sum(W * W)), 2 * reg * W

    entry = _by(measure(_with(l2_penalty=l2_twice)), "gradient_errors")["l2_penalty"]
    assert entry["data"]["median"] > 0.3


def test_covariance_plot_shows_whitening_that_only_rotates():
    class RotateOnly(MIXED._PCA):
        def transform(self, X):
            return (X - self.mean_) @ self.components_  # decorrelated, but not scaled to 1

    found = _by(measure(_with(whitening=lambda n_components=None, eps=1e-5: RotateOnly(
        n_components, eps))), "covariance")
    with pytest.raises(AssertionError):
        check_covariance(found)


def test_an_implementation_that_raises_is_reported_not_plotted():
    def broken(fan_in, fan_out, seed):
        raise RuntimeError("<b>no</b>")

    found = measure(_with(he_init=broken, pca=lambda n_components=None: object()))
    assert {m["kind"] for m in found} == {"covariance", "init_histogram", "activation_variance"}
    assert all("error" in m for m in found)
    assert "<b>no</b>" in _by(found, "init_histogram")["he_init"]["error"]
    assert render(found) == []


def test_component_filter_limits_the_measurements():
    found = measure(MIXED.load(), ["he_init"])
    assert {m["component"] for m in found} == {"he_init"}


# ------------------------------------------------------------------------------ rendering

def test_every_kind_renders_as_a_png(mixed):
    pytest.importorskip("matplotlib")
    figures = render(mixed)
    assert [f["id"] for f in figures] == ["covariance", "init-histograms",
                                          "activation-variance", "gradient-errors",
                                          "dropout-expectation"]
    for figure in figures:
        png = base64.b64decode(figure["png"], validate=True)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
        assert figure["title"] and figure["caption"]


def test_render_without_matplotlib_is_empty(mixed, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert render(mixed) == []


def test_every_init_scheme_has_an_expected_std():
    from nncheck.contract import COMPONENTS

    inits = {c for c in COMPONENTS if c.endswith("_init")} - {"zeros_init", "bias_init"}
    assert inits == set(INIT_STD)
