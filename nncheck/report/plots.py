"""The numbers behind the report's plots, and the plots themselves.

Two halves, so that report.html is rendered from report.json alone:

* :func:`measure` runs once per conformance run, in the process that writes the report,
  and calls the implementation under test (through :meth:`Implementation.call`, with
  fixed seeds) on small fixed inputs. It returns plain numbers, stored as the
  ``measurements`` list of report.json. It needs numpy only.
* :func:`render` turns those numbers into PNG images (base64, embedded in the HTML). It
  needs matplotlib (the ``report`` extra); without it the report says so and shows none.

A measurement is taken only for the components the implementation has (and, when the run
was limited with ``--component``, only for those). Each is ``{"kind", "component",
"data"}``, or ``{"kind", "component", "error"}`` when the implementation failed while
being measured. The kinds, after the sections of the notes they illustrate:

* ``covariance`` ("Data Preprocessing", PCA and Whitening): covariance of a correlated
  data set before, and after the implementation's PCA rotation or whitening.
* ``init_histogram`` ("Weight Initialization"): histogram of one initializer's weights,
  with the standard deviation the contract expects of the scheme.
* ``activation_variance`` ("Weight Initialization", calibrating the variances): variance
  of the pre-activations through a deep stack of ReLU layers, per initializer.
* ``gradient_errors`` (gradient checks): relative errors between the implementation's
  analytic gradient and central differences of its own forward value.
* ``dropout_expectation`` ("Regularization", Dropout): the mean output of dropout on a
  large input of ones, in train and test mode, against the contract's expectation.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Iterable

import numpy as np

from nncheck.errors import ImplementationFault
from nncheck.runtime.calling import call_guarded

# ---------------------------------------------------------------------------- measuring

# Expected standard deviation of each initializer (the contract's summaries).
INIT_STD: dict[str, Callable[[int, int], float]] = {
    "small_random_init": lambda fi, fo: 0.01,
    "calibrated_init": lambda fi, fo: 1 / math.sqrt(fi),
    "glorot_init": lambda fi, fo: math.sqrt(2 / (fi + fo)),
    "he_init": lambda fi, fo: math.sqrt(2 / fi),
    "sparse_init": lambda fi, fo: 0.01,  # of the non-zero weights
}
FAN_IN, FAN_OUT = 400, 300
STACK_DEPTH, STACK_WIDTH, STACK_BATCH = 10, 256, 512
DROPOUT_PS = (0.1, 0.25, 0.5, 0.75, 0.9)
DROPOUT_SHAPE = (200, 500)
# Two-sided normal quantile for a false-alarm rate of 1e-9 (the suite's statistical level).
Z_1E9 = 6.109410204869


def measure(impl, components: Iterable[str] | None = None, *,
            before: Callable[[], None] | None = None,
            after: Callable[[], None] | None = None) -> list[dict]:
    """Every measurement the implementation supports (see the module docstring).

    ``before`` and ``after`` run around each measurement: the plugin passes the boundary's
    begin/end of an invariant, so each measurement has the time and resource limits of one.
    """
    wanted = set(components) if components else None

    def _guard(kind: str, component: str, take: Callable[[], dict]) -> dict:
        if before is not None:
            before()
        try:
            return _measured(kind, component, take)
        finally:
            if after is not None:
                after()

    def has(name: str) -> bool:
        return impl.has(name) and (wanted is None or name in wanted)

    found: list[dict] = []
    for name in ("pca", "whitening"):
        if has(name):
            found.append(_guard("covariance", name, lambda n=name: _covariance(impl, n)))
    for name in INIT_STD:
        if has(name):
            found.append(_guard("init_histogram", name, lambda n=name: _init_histogram(impl, n)))
    for name in ("small_random_init", "calibrated_init", "glorot_init", "he_init"):
        if has(name):
            found.append(_guard("activation_variance", name,
                                lambda n=name: _activation_variance(impl, n)))
    for name, make in GRADIENT_CASES.items():
        needs = (BACKWARD_OF[name], name) if name in BACKWARD_OF else (name,)
        if all(has(n) for n in needs):
            found.append(_guard("gradient_errors", name, lambda n=name, m=make: _gradients(
                impl, n, m)))
    for name in ("dropout_forward", "vanilla_dropout_forward"):
        if has(name):
            found.append(_guard("dropout_expectation", name,
                                lambda n=name: _dropout_expectation(impl, n)))
    return found


def _measured(kind: str, component: str, take: Callable[[], dict]) -> dict:
    try:
        return {"kind": kind, "component": component, "data": take()}
    except BaseException as exc:  # it failed while measured: say so, carry on
        if not isinstance(exc, (Exception, ImplementationFault)) and not _not_implemented(exc):
            raise
        text = f"{type(exc).__name__}: {exc}"
        return {"kind": kind, "component": component, "error": text[:500]}


def _not_implemented(exc: BaseException) -> bool:
    """The skip that a call raising NotImplementedError ends in (nncheck.runtime.calling)."""
    import pytest

    return isinstance(exc, pytest.skip.Exception)


def _floats(values) -> list:
    """A JSON-safe list: non-finite numbers become None."""
    return [float(v) if math.isfinite(v) else None for v in np.asarray(values, float).ravel()]


def _population_cov(x: np.ndarray) -> np.ndarray:
    centered = x - x.mean(axis=0)
    return centered.T @ centered / len(x)


def _correlated_data(seed: int = 0, n: int = 2000, d: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((d, d)) * np.linspace(3.0, 0.5, d)
    return rng.standard_normal((n, d)) @ mixing.T + rng.uniform(-5, 5, d)


def _covariance(impl, name: str) -> dict:
    x = _correlated_data()
    estimator = impl.call(name)
    call_guarded(estimator.fit, (x,), {}, f"{name}.fit")
    z = np.asarray(call_guarded(estimator.transform, (x,), {}, f"{name}.transform"), float)
    if z.ndim != 2 or len(z) != len(x):
        raise ValueError(f"{name}.transform returned shape {z.shape} for data of shape {x.shape}")
    return {"n": len(x), "before": [_floats(r) for r in _population_cov(x)],
            "after": [_floats(r) for r in _population_cov(z)]}


def _init_histogram(impl, name: str) -> dict:
    w = np.asarray(impl.call(name, FAN_IN, FAN_OUT, 0), float)
    if w.shape != (FAN_IN, FAN_OUT):
        raise ValueError(f"{name}({FAN_IN}, {FAN_OUT}, 0) has shape {w.shape}")
    expected = INIT_STD[name](FAN_IN, FAN_OUT)
    values = w[w != 0] if name == "sparse_init" else w.ravel()
    edges = np.linspace(-4.5 * expected, 4.5 * expected, 61)
    counts, _ = np.histogram(values, bins=edges)
    finite = values[np.isfinite(values)]
    return {"fan_in": FAN_IN, "fan_out": FAN_OUT, "n": int(values.size),
            "nonzero_only": name == "sparse_init", "expected_std": expected,
            "measured_std": float(finite.std()) if finite.size else None,
            "outside": int(values.size - counts.sum()),
            "bin_edges": _floats(edges), "counts": [int(c) for c in counts]}


def _activation_variance(impl, name: str) -> dict:
    rng = np.random.default_rng(1)
    h = rng.standard_normal((STACK_BATCH, STACK_WIDTH))
    variances = []
    with np.errstate(all="ignore"):
        for layer in range(STACK_DEPTH):
            w = np.asarray(impl.call(name, STACK_WIDTH, STACK_WIDTH, layer), float)
            s = h @ w
            variances.append(float(s.var()))
            h = np.maximum(s, 0)
    return {"depth": STACK_DEPTH, "width": STACK_WIDTH, "batch": STACK_BATCH,
            "nonlinearity": "relu", "input_variance": 1.0, "variances": _floats(variances)}


def _labels(rng, n, c):
    return rng.integers(0, c, n)


# Inputs for each component whose gradient is checked: rng -> (args, index of the argument
# differentiated); the component returns (value, gradient of that argument).
GRADIENT_CASES: dict[str, Callable] = {
    "softmax_loss": lambda r: ((r.normal(0, 2, (5, 4)), _labels(r, 5, 4)), 0),
    "svm_loss": lambda r: ((r.normal(0, 2, (5, 4)), _labels(r, 5, 4)), 0),
    "squared_hinge_loss": lambda r: ((r.normal(0, 2, (5, 4)), _labels(r, 5, 4)), 0),
    "crammer_singer_loss": lambda r: ((r.normal(0, 2, (5, 4)), _labels(r, 5, 4)), 0),
    "attribute_hinge_loss": lambda r: ((r.normal(0, 2, (5, 4)),
                                        r.choice([-1.0, 1.0], (5, 4))), 0),
    "logistic_loss": lambda r: ((r.normal(0, 2, (5, 4)), r.integers(0, 2, (5, 4)).astype(float)),
                                0),
    "l2_regression_loss": lambda r: ((r.normal(0, 2, (5, 3)), r.normal(0, 2, (5, 3))), 0),
    "l1_regression_loss": lambda r: ((r.normal(0, 2, (5, 3)), r.normal(0, 2, (5, 3))), 0),
    "l2_penalty": lambda r: ((r.normal(0, 1, (4, 3)), 0.1), 0),
    "l1_penalty": lambda r: ((r.normal(0, 1, (4, 3)), 0.1), 0),
    "elastic_net_penalty": lambda r: ((r.normal(0, 1, (4, 3)), 0.1, 0.05), 0),
    "hierarchical_softmax_loss": lambda r: ((r.normal(0, 2, (5, 3)), _labels(r, 5, 4),
                                             FOUR_LEAF_TREE), 0),
    "structured_svm_loss": lambda r: ((r.normal(0, 2, (3, 3, 3)), r.normal(0, 1, (3, 3)),
                                       r.integers(0, 3, (3, 3))), 0),
    # backward components: checked against their forward (BACKWARD_OF), see _gradients
    "batchnorm_backward": None,
    "batchnorm_backward_alt": None,
    "spatial_batchnorm_backward": None,
}
# A balanced tree over 4 labels: inner node 0 is the root, 1 and 2 its children.
FOUR_LEAF_TREE = [[(0, 1), (1, 1)], [(0, 1), (1, -1)], [(0, -1), (2, 1)], [(0, -1), (2, -1)]]
BACKWARD_OF = {"batchnorm_backward": "batchnorm_train",
               "batchnorm_backward_alt": "batchnorm_train",
               "spatial_batchnorm_backward": "spatial_batchnorm_train"}
GRADIENT_TRIALS = 6


def _relative_errors(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """|a - n| / max(|a|, |n|), with a floor of 1e-6: central differences
    of an O(1) function carry round-off of about 1e-10, which relative to an exact 0 is noise."""
    analytic, numeric = np.asarray(analytic, float), np.asarray(numeric, float)
    with np.errstate(all="ignore"):
        err = np.abs(analytic - numeric) / np.maximum(
            np.maximum(np.abs(analytic), np.abs(numeric)), 1e-6)
    return np.where(np.isfinite(err), err, 2.0)  # NaN/inf: worse than any finite mismatch


def _gradients(impl, name: str, make: Callable | None) -> dict:
    rng = np.random.default_rng(2)
    errors = []
    for _ in range(GRADIENT_TRIALS):
        if name in BACKWARD_OF:
            forward = BACKWARD_OF[name]
            shape = (4, 3, 2, 2) if forward.startswith("spatial") else (6, 3)
            x, gamma, beta = rng.normal(1, 2, shape), rng.normal(1, .5, 3), rng.normal(0, 1, 3)
            dout = rng.normal(0, 1, shape)
            out, cache = impl.call(forward, x, gamma, beta)
            analytic = impl.call(name, dout, cache)[0]
            numeric = _numeric_gradient(impl, forward, (x, gamma, beta), 0,
                                        lambda result, dout=dout: np.sum(result[0] * dout))
        else:
            args, k = make(rng)
            analytic = impl.call(name, *args)[1]
            numeric = _numeric_gradient(impl, name, args, k, lambda result: result[0])
        errors.append(_relative_errors(analytic, numeric).ravel())
    errors = np.concatenate(errors)
    return {"trials": GRADIENT_TRIALS, "relative_errors": _floats(errors),
            "max": float(errors.max()), "median": float(np.median(errors))}


def _numeric_gradient(impl, name: str, args: tuple, k: int, scalar: Callable) -> np.ndarray:
    """Central differences of ``scalar(name(*args))`` in ``args[k]``, element by element,
    with :func:`nncheck.gradcheck.step_size` (as :func:`~nncheck.gradcheck.numeric_gradient`);
    all 2n evaluations go to the implementation in one ``call_many``."""
    from nncheck.gradcheck import step_size

    x = np.asarray(args[k], float)
    steps, calls = [], []
    for idx in np.ndindex(x.shape):
        h = float(step_size(x[idx]))
        steps.append(h)
        for sign in (1.0, -1.0):
            moved = x.copy()
            moved[idx] += sign * h
            calls.append(((*args[:k], moved, *args[k + 1:]), {}))
    values = np.array([float(scalar(result)) for result in impl.call_many(name, calls)])
    return ((values[0::2] - values[1::2]) / (2 * np.array(steps))).reshape(x.shape)


def _dropout_expectation(impl, name: str) -> dict:
    x = np.ones(DROPOUT_SHAPE)
    n = x.size
    inverted = name == "dropout_forward"
    train, test, band = [], [], []
    for i, p in enumerate(DROPOUT_PS):
        out = np.asarray(impl.call(name, x, p, "train", i)[0], float)
        train.append(float(out.mean()))
        test.append(float(np.asarray(impl.call(name, x, p, "test", i)[0], float).mean()))
        # Standard deviation of the mean of n independent units: Bernoulli(p)/p or Bernoulli(p).
        sd = math.sqrt((1 - p) / p / n) if inverted else math.sqrt(p * (1 - p) / n)
        band.append(Z_1E9 * sd)
    expected_train = [1.0] * len(DROPOUT_PS) if inverted else list(DROPOUT_PS)
    return {"p": list(DROPOUT_PS), "units": n, "inverted": inverted,
            "train_mean": _floats(train), "test_mean": _floats(test),
            "expected_train": expected_train, "expected_test": expected_train,
            "band": band, "false_alarm_rate": 1e-9}


# ---------------------------------------------------------------------------- rendering

def matplotlib_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def render(measurements: list[dict]) -> list[dict]:
    """``[{"id", "title", "caption", "png"}]``, the PNG base64-encoded; [] without matplotlib."""
    if not matplotlib_available():
        return []
    ok = [m for m in measurements if "data" in m]
    by_kind: dict[str, list[dict]] = {}
    for m in ok:
        by_kind.setdefault(m["kind"], []).append(m)
    figures = []
    for kind, draw in _RENDERERS.items():
        if kind in by_kind:
            figures.append(draw(by_kind[kind]))
    return figures


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=90, layout="constrained")


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _plot_covariance(items: list[dict]) -> dict:
    panels = [("raw data", items[0]["data"]["before"])]
    panels += [(f"after {m['component']}", m["data"]["after"]) for m in items]
    fig = _figure(3.2 * len(panels), 3.0)
    axes = fig.subplots(1, len(panels))
    for ax, (title, matrix) in zip(np.atleast_1d(axes), panels, strict=True):
        m = np.array([[np.nan if v is None else v for v in row] for row in matrix])
        limit = np.nanmax(np.abs(m)) if np.isfinite(m).any() else 1.0
        image = ax.imshow(m, cmap="RdBu_r", vmin=-limit, vmax=limit)
        off = m[~np.eye(len(m), dtype=bool)] if len(m) > 1 else np.zeros(1)
        ax.set_title(f"{title}\nmax |off-diagonal| {np.nanmax(np.abs(off)):.2g}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, shrink=0.8)
    return {"id": "covariance", "title": "Covariance before and after PCA / whitening",
            "caption": "Population covariance of a correlated data set (N = "
                       f"{items[0]['data']['n']}). After the PCA rotation the off-diagonal "
                       "entries vanish and the diagonal decreases; after whitening the "
                       "covariance is the identity (up to eps).",
            "png": _png(fig)}


def _plot_init_histograms(items: list[dict]) -> dict:
    fig = _figure(3.0 * len(items), 2.8)
    axes = np.atleast_1d(fig.subplots(1, len(items)))
    for ax, m in zip(axes, items, strict=True):
        d = m["data"]
        edges = np.array(d["bin_edges"], float)
        counts = np.array(d["counts"], float)
        density = counts / max(d["n"], 1) / np.diff(edges)
        # one filled step outline, not a patch per bin: much faster to draw
        ax.stairs(density, edges, fill=True, alpha=0.6, label="weights")
        grid = np.linspace(edges[0], edges[-1], 300)
        s = d["expected_std"]
        ax.plot(grid, np.exp(-0.5 * (grid / s) ** 2) / (s * math.sqrt(2 * math.pi)), "k-",
                lw=1.2, label=f"N(0, {s:.3g}²)")
        measured = d["measured_std"]
        ax.set_title(f"{m['component']}\nstd {measured:.3g} (expected {s:.3g})"
                     if measured is not None else m["component"], fontsize=9)
        if d["outside"]:
            ax.text(0.02, 0.95, f"{d['outside']} outside ±4.5σ", transform=ax.transAxes,
                    fontsize=8, va="top", color="crimson")
        ax.legend(fontsize=7)
    return {"id": "init-histograms", "title": "Initialized weights against the expected density",
            "caption": f"Weights of a {FAN_IN} x {FAN_OUT} layer (sparse_init: its non-zero "
                       "weights only) against the normal density the contract expects.",
            "png": _png(fig)}


def _plot_activation_variance(items: list[dict]) -> dict:
    fig = _figure(5.5, 3.4)
    ax = fig.subplots()
    for m in items:
        v = np.array([np.nan if x is None else x for x in m["data"]["variances"]], float)
        ax.semilogy(np.arange(1, len(v) + 1), np.where(v > 0, v, np.nan), "o-",
                    label=m["component"])
    ax.set_xlabel("layer")
    ax.set_ylabel("variance of pre-activations")
    ax.legend(fontsize=8)
    d = items[0]["data"]
    return {"id": "activation-variance", "title": "Activation variance through a deep ReLU stack",
            "caption": f"{d['depth']} layers of {d['width']} ReLU units, batch {d['batch']}, "
                       "unit-variance input. With He initialization the variance stays level; "
                       "1/sqrt(n) halves it at every ReLU layer; small random weights make "
                       "it vanish.",
            "png": _png(fig)}


def _plot_gradient_errors(items: list[dict]) -> dict:
    fig = _figure(max(4.5, 0.9 * len(items) + 2), 3.4)
    ax = fig.subplots()
    logs = [np.log10(np.maximum(np.array([2.0 if e is None else e for e in
                                          m["data"]["relative_errors"]]), 1e-17))
            for m in items]
    ax.boxplot(logs, showfliers=False)
    rng = np.random.default_rng(0)
    for i, values in enumerate(logs, start=1):
        ax.plot(i + rng.uniform(-0.15, 0.15, len(values)), values, ".", ms=3, alpha=0.5)
    for level, colour, text in ((-7, "green", "1e-7"), (-4, "orange", "1e-4"),
                                (-2, "crimson", "1e-2")):
        ax.axhline(level, color=colour, lw=0.8, ls="--")
        ax.text(len(items) + 0.45, level, text, color=colour, fontsize=7, va="bottom")
    ax.set_xticks(range(1, len(items) + 1), [m["component"] for m in items], rotation=30,
                  ha="right", fontsize=8)
    ax.set_ylabel("log10 relative error")
    return {"id": "gradient-errors", "title": "Gradient checks: relative error per component",
            "caption": "Relative error |a - n| / max(|a|, |n|, 1e-6) between the analytic "
                       "gradient and central differences, every element of "
                       f"{GRADIENT_TRIALS} random inputs. "
                       "Below 1e-7 is agreement; above 1e-2 the gradient is wrong.",
            "png": _png(fig)}


def _plot_dropout(items: list[dict]) -> dict:
    fig = _figure(3.6 * len(items), 3.0)
    axes = np.atleast_1d(fig.subplots(1, len(items)))
    for ax, m in zip(axes, items, strict=True):
        d = m["data"]
        p = np.array(d["p"])
        want = np.array(d["expected_train"])
        band = np.array(d["band"])
        ax.fill_between(p, want - band, want + band, alpha=0.25, color="grey",
                        label="expected ± 1e-9 band")
        ax.plot(p, want, "k-", lw=1, label="expected")
        ax.plot(p, [np.nan if v is None else v for v in d["train_mean"]], "o", label="train mean")
        ax.plot(p, [np.nan if v is None else v for v in d["test_mean"]], "x", label="test mean")
        ax.set_xlabel("p (keep probability)")
        ax.set_ylabel("mean output on x = 1")
        ax.set_title(m["component"], fontsize=9)
        ax.legend(fontsize=7)
    return {"id": "dropout-expectation", "title": "Dropout: expected activation",
            "caption": f"Mean output over {items[0]['data']['units']} units of input 1. Inverted "
                       "dropout keeps the expectation at 1 in both modes; vanilla dropout "
                       "gives p in both (unscaled at train time, scaled by p at test time).",
            "png": _png(fig)}


_RENDERERS = {
    "covariance": _plot_covariance,
    "init_histogram": _plot_init_histograms,
    "activation_variance": _plot_activation_variance,
    "gradient_errors": _plot_gradient_errors,
    "dropout_expectation": _plot_dropout,
}
