"""Gradient checks: is an analytic gradient the derivative of its forward pass?

The notes judge every component of "Setting up the data and the loss" by its derivatives
as much as by its values (the backward passes of "Batch Normalization", the gradients of
the penalties in "Regularization" and of every data loss in "Loss functions"). This
module is the engine every property uses for that question. docs/gradcheck.md is the
user's guide; in short:

* Two forms. **Scalar form**: ``f(*inputs) -> float`` plus its gradient for every input
  (:func:`check_gradient`, :func:`check_gradients`). **Layer form**: ``forward(*inputs) ->
  array`` plus ``backward(dout) -> input gradients`` (:func:`check_layer`); it is reduced to
  the scalar form ``<v, forward(*inputs)>`` for random upstream gradients ``v``, whose
  gradients are ``backward(v)``.
* **Numerics**: float64 throughout (float32 is upcast, with a :class:`PrecisionWarning`);
  central differences with ``h = eps**(1/3) * max(|x_i|, 1)``; a complex-step mode for
  functions analytic in their inputs.
* **Verdict per element**: ``|a - n| <= atol + rtol * max(|a|, |n|)``, i.e. the relative
  error ``|a - n| / max(|a|, |n|, tiny)`` is at most ``rtol`` unless both values are
  below ``atol / rtol``. ``rtol`` and ``atol`` are always applied together.
* **Directional mode** (the default for inputs with more than ``FULL_MODE_MAX_SIZE``
  elements): a few random directions ``u`` per input (Rademacher, then Gaussian),
  comparing the analytic ``<g, u>`` with the numeric directional derivative: two forward
  evaluations per direction, whatever the size of the input. A mismatch is localised by
  bisecting the coordinates of ``u`` down to single elements, which are then checked one
  by one. **Full mode** checks every element.
* **Kinks** (max, ReLU, hinge, |w|, max-norm): when the finite-difference stencil crosses a
  non-differentiable point (the second difference does not shrink like ``h**2`` when ``h``
  is halved, the test Chainer uses), the element is judged by the one-sided slopes instead:
  the analytic value must lie between them. The kink is reported instead of a false failure.
* :func:`taylor_test`: the remainder ``|f(x + t d) - f(x) - t <g, d>|`` falls like ``t**2``
  for a right gradient and like ``t`` for a wrong one; the measured slope is a second
  opinion that needs no tolerance.
* :func:`check_three_way`: the implementation's gradient vs the numeric gradient of its own
  forward vs autograd on the reference forward, with a diagnosis of which one is wrong.

Failures raise :class:`GradientMismatch`, an ``AssertionError``, so the conformance suite
reports them as *failed*. Exceptions raised by the function under test propagate unchanged.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EPS = float(np.finfo(np.float64).eps)
TINY = float(np.finfo(np.float64).tiny)

DEFAULT_RTOL = 1e-6
"""Pass threshold on the relative error of one element (central differences).

Correct float64 code typically shows relative errors of 1e-10 to 1e-8 under central
differences; 1e-6 leaves two orders of margin and still rejects an error of a relative
1e-4 (the field's rule of thumb: above 1e-4 is suspect, above 1e-2 is wrong)."""
DEFAULT_ATOL = 1e-9
"""Absolute floor for elements whose true value is ~0 (rounding of the difference quotient)."""
COMPLEX_RTOL = 1e-10
"""Complex-step derivatives have no cancellation error; correct code agrees to ~1e-14."""
COMPLEX_ATOL = 1e-13
FULL_MODE_MAX_SIZE = 16
"""``mode="auto"`` checks every element of inputs up to this size, directions beyond it."""
DEFAULT_DIRECTIONS = 2
TAYLOR_MIN_SLOPE = 1.5
"""The Taylor remainder of a right gradient falls with slope ~2, of a wrong one with ~1."""
LOCALISATION_BUDGET = 400
"""Forward evaluations allowed for localising a directional mismatch (and counting)."""

_MODES = ("auto", "directional", "full", "complex", "complex-full")


class GradientMismatch(AssertionError):
    """The analytic gradient disagrees with the derivative of the forward pass.

    ``result`` is the :class:`GradcheckResult` with every detail of the check.
    """

    def __init__(self, message: str, result: GradcheckResult | None = None):
        super().__init__(message)
        self.result = result


class PrecisionWarning(UserWarning):
    """An input or gradient was not float64 and was upcast; numerics may be limited."""


class ComplexStepUnsupported(ValueError):
    """The function cannot be evaluated at complex inputs (it is not analytic there)."""


# ------------------------------------------------------------------------------ results

@dataclass
class Element:
    """One element of one input's gradient, checked coordinate-wise."""

    input: str
    index: tuple[int, ...]
    analytic: float
    numeric: float
    h: float
    abs_error: float
    rel_error: float
    tolerance: float
    passed: bool
    kink: bool = False
    one_sided: tuple[float, float] | None = None  # (left, right) slopes when a kink is crossed
    note: str = ""  # e.g. INCONCLUSIVE when f is too noisy to differentiate numerically

    def describe(self) -> str:
        text = (f"input {self.input!r} element {self.index}: analytic {self.analytic:.10g}, "
                f"numeric {self.numeric:.10g}, abs error {self.abs_error:.3g}, "
                f"rel error {self.rel_error:.3g} (tolerance {self.tolerance:.3g}), "
                f"h {self.h:.3g}, ")
        if self.kink and self.one_sided is not None:
            lo, hi = self.one_sided
            text += (f"kink crossed: yes (one-sided slopes {lo:.10g} and {hi:.10g}; the "
                     f"analytic value {'lies' if self.passed else 'does NOT lie'} between them)")
        else:
            text += "kink crossed: no"
        return text + (f"; {self.note}" if self.note else "")


@dataclass
class Direction:
    """One directional comparison ``<g, u>`` (analytic) vs the numeric derivative along u."""

    input: str
    kind: str  # "rademacher" or "gaussian"
    analytic: float
    numeric: float
    h: float
    abs_error: float
    rel_error: float
    tolerance: float
    passed: bool
    kink: bool = False
    note: str = ""

    def describe(self) -> str:
        return (f"{self.kind} direction on input {self.input!r}: analytic {self.analytic:.10g}, "
                f"numeric {self.numeric:.10g}, abs error {self.abs_error:.3g} "
                f"(tolerance {self.tolerance:.3g}), rel error {self.rel_error:.3g}, "
                f"h {self.h:.3g}{', kink crossed' if self.kink else ''}"
                f"{f'; {self.note}' if self.note else ''}")


@dataclass
class InputReport:
    name: str
    shape: tuple[int, ...]
    mode: str
    directions: list[Direction] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)  # elements that were probed
    bad: list[Element] = field(default_factory=list)
    count_exact: bool = True  # False when bisection ran out of budget
    note: str = ""

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def kinks(self) -> list[Element]:
        return [e for e in self.elements if e.kink]


@dataclass
class GradcheckResult:
    """What a check found; truthy when it passed."""

    name: str
    form: str  # "scalar" or "layer"
    rtol: float
    atol: float
    seed: int | None
    inputs: list[InputReport]
    evaluations: int = 0

    @property
    def passed(self) -> bool:
        return not any(r.bad for r in self.inputs) and not any(
            r.note.startswith("UNLOCALISED") for r in self.inputs)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def kinks(self) -> list[Element]:
        return [k for r in self.inputs for k in r.kinks]

    @property
    def max_rel_error(self) -> float:
        errs = [e.rel_error for r in self.inputs for e in r.elements]
        errs += [d.rel_error for r in self.inputs for d in r.directions]
        return max(errs, default=0.0)

    def message(self) -> str:
        lines = [f"{self.name}: gradient check "
                 f"{'passed' if self.passed else 'FAILED'} ({self.form} form, "
                 f"rtol={self.rtol:g}, atol={self.atol:g}, seed={self.seed}, "
                 f"{self.evaluations} forward evaluations)"]
        for rep in self.inputs:
            head = f"  input {rep.name!r} shape {rep.shape}, {rep.mode} mode: "
            if rep.bad:
                worst = max(rep.bad, key=lambda e: e.abs_error / max(e.tolerance, TINY))
                count = (f"{len(rep.bad)} of {rep.size} element(s) disagree"
                         if rep.count_exact else
                         f"at least {len(rep.bad)} of {rep.size} element(s) disagree "
                         f"(bisection stopped after its budget; more may)")
                lines.append(head + count)
                lines.append("    worst: " + worst.describe())
                failed_dirs = [d for d in rep.directions if not d.passed]
                if failed_dirs:
                    lines.append("    found by: " + failed_dirs[0].describe())
            elif rep.note:
                lines.append(head + rep.note)
            else:
                lines.append(head + "ok")
            for k in rep.kinks[:3]:
                if k not in rep.bad:
                    lines.append("    note: " + k.describe())
        return "\n".join(lines)


# ------------------------------------------------------------------------- numerics

def rel_error(a, n, tiny: float = TINY) -> np.ndarray:
    """|a - n| / max(|a|, |n|, tiny), elementwise (the course's rel_error, made safe at 0)."""
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), tiny)


def step_size(x, dtype=np.float64) -> np.ndarray:
    """Central-difference steps ``eps(dtype)**(1/3) * max(|x_i|, 1)``.

    eps**(1/3) balances the truncation error (~h**2) against rounding (~eps / h).
    """
    return np.finfo(dtype).eps ** (1.0 / 3.0) * np.maximum(np.abs(np.asarray(x, np.float64)), 1.0)


def _float64(value, what: str) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind in "biu" or arr.dtype == np.bool_:
        raise TypeError(f"{what} has integer dtype {arr.dtype}; only float inputs are "
                        f"differentiated (pass labels and sizes as constants)")
    if arr.dtype.kind == "c":
        raise TypeError(f"{what} is complex; pass real float64 arrays")
    if arr.dtype != np.float64:
        warnings.warn(f"{what} has dtype {arr.dtype}; upcast to float64 for the gradient check "
                      f"(a forward that computes in {arr.dtype} internally limits the accuracy)",
                      PrecisionWarning, stacklevel=4)
    return np.array(arr, dtype=np.float64)  # always a private copy


class _Evaluator:
    """Evaluates the forward at perturbed inputs, counting calls and pinning randomness.

    A forward with a ``many`` method (``fn.many([args, ...])`` returns what ``fn(*args)``
    would for each, e.g. :meth:`nncheck.implementation.Implementation.along`) gets the
    points the check knows it will need sent together (:meth:`prefetch`): one round trip
    to an implementation in another process instead of one per point. Not with ``seed``
    (the global RNG is re-seeded before every single evaluation).
    """

    def __init__(self, fn: Callable, seed: int | None):
        self.fn = fn
        self.seed = seed
        self.pin = seed is not None
        self.count = 0
        self.many = None if self.pin else getattr(fn, "many", None)
        self._ready: dict[tuple, Any] = {}

    def prefetch(self, points: list[list[np.ndarray]]) -> None:
        """Evaluate ``points`` in one go when the forward can; :meth:`raw` answers from them.

        If the batch fails, nothing is kept: each point is then evaluated on its own, in the
        check's order, so the failure surfaces exactly where it would have."""
        if self.many is None:
            return
        todo = {_point_key(p): p for p in points if _point_key(p) not in self._ready}
        if len(todo) < 2:
            return
        try:
            results = list(self.many([list(p) for p in todo.values()]))
        except Exception:  # noqa: BLE001 -- met again, in order, by raw()
            return
        if len(results) == len(todo):
            self._ready.update(zip(todo, results, strict=True))

    def raw(self, args: Sequence[np.ndarray]) -> Any:
        if self.pin:
            np.random.seed(self.seed % 2**32)  # noqa: NPY002 (pinning the global RNG is the point)
            random.seed(self.seed)
        self.count += 1
        if self._ready:
            ready = self._ready.pop(_point_key(args), _NOT_READY)
            if ready is not _NOT_READY:
                return ready
        return self.fn(*args)


_NOT_READY = object()


def _point_key(args: Sequence[np.ndarray]) -> tuple:
    """The exact bytes of a point (its arguments), so a prefetched value is found again."""
    return tuple((a.dtype.str, a.shape, a.tobytes()) if isinstance(a, np.ndarray) else repr(a)
                 for a in args)


@dataclass
class _Projection:
    """One scalar function G(inputs) = <v, F(inputs)> (or f itself) and its analytic gradients."""

    value: Callable[[Sequence[np.ndarray]], tuple[Any, float]]  # -> (value, magnitude)
    grads: list[np.ndarray]
    values: list[np.ndarray]  # the unperturbed inputs
    evaluator: _Evaluator


def _scalar_value(out: Any, label: str) -> Any:
    arr = np.asarray(out)
    if arr.size != 1:
        raise TypeError(f"{label} returned an array of shape {arr.shape}; the scalar form "
                        f"needs one number (use check_layer for array-valued forwards)")
    return arr.reshape(())[()]


# ------------------------------------------------------------------- 1-d probes

@dataclass
class _Probe:
    numeric: float
    passed: bool
    kink: bool
    one_sided: tuple[float, float] | None
    abs_error: float
    tolerance: float
    central: float = float("nan")  # the plain central difference at step t
    note: str = ""


def _probe(phi: Callable[[float], tuple[float, float]], phi0: Callable[[], tuple[float, float]],
           t: float, a: float, tol: Callable[[float], float], kinks: str = "interval",
           scale: float = 0.0) -> _Probe:
    """Judge the analytic derivative ``a`` of ``phi`` at 0 with central differences of step t.

    First opinion (two evaluations): the central difference at t. When it disagrees with
    ``a``, two more at t/2 give the Richardson extrapolation, which cancels the t**2
    truncation term. When that disagrees too, a second opinion measures the rounding noise
    of f (a forward too noisy to differentiate, compared with ``scale``, the size of the
    gradient, is INCONCLUSIVE: a failure), then decides between a kink (the second
    differences do not scale like t**2; ``a`` must then lie between the one-sided slopes)
    and a real mismatch (a second extrapolation from t/2 and t/4, with the distance between
    the two extrapolations and the rounding of f allowed as numeric uncertainty).
    """
    fp, mp = phi(t)
    fm, mm = phi(-t)
    c1 = (fp - fm) / (2 * t)
    if not np.isfinite(c1):
        return _Probe(float(c1), False, False, None, float("inf"), tol(abs(a)), float(c1),
                      note="the forward is not finite at x +- h")
    if abs(a - c1) <= tol(abs(c1)):
        return _Probe(float(c1), True, False, None, float(abs(a - c1)), tol(abs(c1)),
                      float(c1))
    fp2, mp2 = phi(t / 2)
    fm2, mm2 = phi(-t / 2)
    c2 = (fp2 - fm2) / t
    n12 = (4 * c2 - c1) / 3
    err = abs(a - n12)
    if err <= tol(abs(n12)):
        return _Probe(float(n12), True, False, None, float(err), tol(abs(n12)), float(c1))
    f0, m0 = phi0()
    magnitude = max(mp, mm, m0, mp2, mm2, abs(fp), abs(fm), abs(f0))
    noise = _noise(phi, f0, t)  # rounding of f itself, measured (f may cancel internally)
    slope_noise = 16 * noise / t + 64 * EPS * magnitude / t
    typical_noise = 8 * noise / t + 4 * EPS * magnitude / t
    if typical_noise > 0.1 * max(abs(a), abs(n12), scale) and typical_noise > tol(abs(n12)):
        return _Probe(float(n12), False, False, None, float(err), typical_noise, float(c1),
                      note=f"INCONCLUSIVE: the forward is too noisy to differentiate "
                           f"numerically (its values jitter by ~{noise:.2g} between nearby "
                           f"points); a forward that draws random numbers needs seed=...")
    fp4, _ = phi(t / 4)
    fm4, _ = phi(-t / 4)
    d1 = fp - 2 * f0 + fm
    d2 = fp2 - 2 * f0 + fm2
    d4 = fp4 - 2 * f0 + fm4
    # Smooth: d1 - 4 d2 = O(t**4), a tiny fraction of d1. A kink inside the stencil makes
    # the second differences scale like t instead of t**2, so d1 - 4 d2 is of the order of
    # d1. (A kink at ~t/3 from 0 happens to cancel in d1 - 4 d2; d2 - 4 d4 sees it.)
    kink = False
    for big, small, step in ((d1, d2, t), (d2, d4, t / 2)):
        nonsmooth = abs(big - 4 * small)
        kink = kink or bool(nonsmooth > max(1e3 * EPS * magnitude, 32 * noise)
                            and nonsmooth > 0.1 * max(abs(big), 4 * abs(small))
                            and nonsmooth / (2 * step) > tol(abs(c1)))
    if kink:
        left, right = (f0 - fm) / t, (fp - f0) / t
        # A one-sided slope of a curved piece is off by ~t f''/2; extrapolating from t and
        # t/2 removes that. The interval spans the raw and the extrapolated slopes.
        left_x, right_x = 2 * (f0 - fm2) * 2 / t - left, 2 * (fp2 - f0) * 2 / t - right
        lo, hi = min(left, right, left_x, right_x), max(left, right, left_x, right_x)
        slack = tol(max(abs(lo), abs(hi))) + slope_noise
        passed = bool(lo - slack <= a <= hi + slack) or kinks == "report"
        gap = 0.0 if lo <= a <= hi else min(abs(a - lo), abs(a - hi))
        return _Probe(float(c2), passed, True, (float(left), float(right)), float(gap), slack,
                      float(c1))
    # The step t/4 gives a second extrapolation; its distance from the first measures what
    # is left of the truncation error.
    c4 = (fp4 - fm4) / (t / 2)
    n24 = (4 * c4 - c2) / 3
    uncertainty = 0.25 * abs(n12 - n24) + slope_noise
    err = abs(a - n24)
    allowed = tol(abs(n24)) + uncertainty
    return _Probe(float(n24), bool(err <= allowed), False, None, float(err), allowed,
                  float(c1))


def _noise(phi: Callable[[float], tuple[float, float]], f0: float, t: float) -> float:
    """The rounding noise of ``phi`` near 0, measured as in More and Wild's ECnoise.

    On each side of 0, seven values spaced t/16 apart: the smooth part of their fourth
    differences is negligible (~(t/16)**4 times the fourth derivative), so what is left is
    rounding; independent noise of standard deviation s gives fourth differences of
    variance 70 s**2. A kink pollutes the side it lies on (a kink exactly at 0 neither), so
    the quieter side is the estimate. A large f that moves by a few ulps per step is
    quantised rather than noisy (its differences take a few values a quantum q apart, and
    may even be constant on one side); half the smallest non-zero third difference is a
    floor for that.
    """
    delta = t / 16
    estimates, seconds = [], []
    for sign in (-1.0, 1.0):
        values = np.array([phi(sign * k * delta)[0] for k in range(1, 8)], dtype=np.float64)
        estimates.append(float(np.sqrt(np.mean(np.diff(values, 4) ** 2) / 70.0)))
        seconds.append(np.abs(np.diff(values, 3)))
    second = np.concatenate(seconds)
    quantum = float(np.min(second[second > 0])) if np.any(second > 0) else 0.0
    return max(min(estimates), 0.5 * quantum)


def _complex_probe(phi: Callable[[complex], tuple[Any, float]], t: float, a: float,
                   tol: Callable[[float], float], label: str) -> _Probe:
    value, _ = phi(1j * t)
    if not np.iscomplexobj(value):
        raise ComplexStepUnsupported(
            f"{label}: the forward returned a real value for a complex input, so it is not "
            f"analytic in its inputs (or casts them to float); use mode='directional' or 'full'")
    numeric = float(np.imag(value)) / t
    err = abs(a - numeric)
    allowed = tol(abs(numeric))
    return _Probe(numeric, bool(err <= allowed), False, None, float(err), allowed, numeric)


# ------------------------------------------------------------------------ the engine

def _tol_fn(rtol: float, atol: float) -> Callable[[float], Callable[[float], float]]:
    def for_analytic(a: float) -> Callable[[float], float]:
        return lambda n: atol + rtol * max(abs(a), abs(n))
    return for_analytic


def tolerances(rtol: float | None, atol: float | None, mode: str = "auto") -> tuple[float, float]:
    """The (rtol, atol) pair a check uses: the mode's defaults for whichever is not given.

    A check always applies both: an rtol alone fails on values near 0, an atol alone is
    meaningless at any other scale.
    """
    complex_mode = mode.startswith("complex")
    if rtol is None:
        rtol = COMPLEX_RTOL if complex_mode else DEFAULT_RTOL
    if atol is None:
        atol = COMPLEX_ATOL if complex_mode else DEFAULT_ATOL
    if not (0 <= rtol < math.inf and 0 <= atol < math.inf):  # NaN fails both
        raise ValueError(f"rtol and atol must be finite numbers >= 0, got rtol={rtol}, "
                         f"atol={atol}")
    return float(rtol), float(atol)


@dataclass(frozen=True)
class _Cfg:
    rtol: float
    atol: float
    complex_step: bool
    kinks: str


def _run(name: str, form: str, names: list[str], values: list[np.ndarray],
         projections: Callable[[int], _Projection], evaluator: _Evaluator, *, mode: str,
         directions: int, rtol: float | None, atol: float | None, seed: int | None,
         rng: np.random.Generator, raise_on_failure: bool, kinks: str) -> GradcheckResult:
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {', '.join(_MODES)}, not {mode!r}")
    if kinks not in ("interval", "report"):
        raise ValueError(f"kinks must be 'interval' or 'report', not {kinks!r}")
    if directions < 1:
        raise ValueError(f"directions must be >= 1, got {directions}")
    rtol, atol = tolerances(rtol, atol, mode)
    result = GradcheckResult(name=name, form=form, rtol=rtol, atol=atol, seed=seed, inputs=[])
    cache: dict[int, _Projection] = {}

    def proj(k: int) -> _Projection:
        if k not in cache:
            cache[k] = projections(k)
        return cache[k]

    for i, (input_name, x) in enumerate(zip(names, values, strict=True)):
        input_mode = mode
        if mode == "auto":
            input_mode = "full" if x.size <= FULL_MODE_MAX_SIZE else "directional"
        rep = InputReport(input_name, x.shape, input_mode)
        result.inputs.append(rep)
        if x.size == 0:
            rep.note = "empty input, nothing to check"
            continue
        cfg = _Cfg(rtol, atol, input_mode.startswith("complex"), kinks)
        if input_mode in ("full", "complex-full"):
            _full(rep, i, x, proj(0), cfg)
        else:
            _directional(rep, i, x, proj, directions, cfg, rng)
    result.evaluations = evaluator.count
    if raise_on_failure and not result.passed:
        raise GradientMismatch(result.message(), result)
    return result


def _moved(values: list[np.ndarray], i: int, xi: np.ndarray) -> list[np.ndarray]:
    """The inputs with input ``i`` replaced by ``xi``."""
    args = list(values)
    args[i] = xi
    return args


def _phi_along(projection: _Projection, i: int, x: np.ndarray, w: np.ndarray,
               values: list[np.ndarray]):
    def phi(t):
        return projection.value(_moved(values, i, x + t * w))

    def phi0():
        return projection.value(values)

    return phi, phi0


def _element(rep: InputReport, i: int, x: np.ndarray, flat: int, projection: _Projection,
             values: list[np.ndarray], cfg: _Cfg) -> Element:
    idx = np.unravel_index(flat, x.shape) if x.ndim else ()
    w = np.zeros_like(x)
    w[idx] = 1.0
    a = float(projection.grads[i][idx])
    tol = _tol_fn(cfg.rtol, cfg.atol)(a)
    if cfg.complex_step:
        h = 1e-20 * max(abs(float(x[idx])), 1.0)
        phi, _ = _phi_along(projection, i, x.astype(np.complex128), w, values)
        p = _complex_probe(phi, h, a, tol, rep.name)
    else:
        h = float(step_size(x[idx]))
        phi, phi0 = _phi_along(projection, i, x, w, values)
        p = _probe(phi, phi0, h, a, tol, cfg.kinks, float(np.max(np.abs(projection.grads[i]))))
    return Element(rep.name, tuple(int(j) for j in idx), a, p.numeric, h, p.abs_error,
                   float(rel_error(a, p.numeric)), p.tolerance, p.passed, p.kink, p.one_sided,
                   p.note)


def _full(rep: InputReport, i: int, x: np.ndarray, projection: _Projection, cfg: _Cfg) -> None:
    values = projection.values
    if not cfg.complex_step:  # every element's first opinion, x +- h e_j, in one go
        points = []
        for flat in range(x.size):
            idx = np.unravel_index(flat, x.shape) if x.ndim else ()
            w = np.zeros_like(x)
            w[idx] = 1.0
            h = float(step_size(x[idx]))
            points += [_moved(values, i, x + t * w) for t in (h, -h)]  # as _phi_along
        projection.evaluator.prefetch(points)
    for flat in range(x.size):
        el = _element(rep, i, x, flat, projection, values, cfg)
        rep.elements.append(el)
        if not el.passed:
            rep.bad.append(el)


def _direction(rng: np.random.Generator, kind: str, shape) -> np.ndarray:
    if kind == "rademacher":
        return np.where(rng.random(shape) < 0.5, -1.0, 1.0)
    return rng.standard_normal(shape)


def _directional(rep: InputReport, i: int, x: np.ndarray, proj: Callable[[int], _Projection],
                 directions: int, cfg: _Cfg, rng: np.random.Generator) -> None:
    rtol, atol = cfg.rtol, cfg.atol
    # Steps scale with |x_i|, but not below the input's RMS: an element near 0 in an input
    # of large values must not get a tiny weight in <g, u> (its error would be diluted).
    rms = float(np.sqrt(np.mean(x**2)))
    scale = np.maximum(np.abs(x), max(rms, 1.0))
    kinds = ["rademacher" if k % 2 == 0 else "gaussian" for k in range(directions)]
    ws = [_direction(rng, kind, x.shape) * scale for kind in kinds]
    if not cfg.complex_step:  # every direction's first opinion, x +- t w, in one go
        base = proj(0)
        t = EPS ** (1.0 / 3.0)
        base.evaluator.prefetch([_moved(base.values, i, x + s * w) for w in ws for s in (t, -t)])
    for k, (kind, w) in enumerate(zip(kinds, ws, strict=True)):
        projection = proj(k)
        values = projection.values
        g = projection.grads[i]
        a = float(np.sum(g * w))
        spread = float(np.sqrt(np.sum(((atol + rtol * np.abs(g)) * w) ** 2))) + atol

        def tol(n, spread=spread):  # the per-element tolerances, propagated along w
            return spread

        if cfg.complex_step:
            t = 1e-20
            phi, _ = _phi_along(projection, i, x.astype(np.complex128), w, values)
            p = _complex_probe(phi, t, a, tol, rep.name)
        else:
            t = EPS ** (1.0 / 3.0)
            phi, phi0 = _phi_along(projection, i, x, w, values)
            p = _probe(phi, phi0, t, a, tol, cfg.kinks, float(np.sqrt(np.sum((g * w) ** 2))))
        rep.directions.append(Direction(rep.name, kind, a, p.numeric, t, p.abs_error,
                                        float(rel_error(a, p.numeric)), p.tolerance, p.passed,
                                        p.kink, p.note))
        if not p.passed or p.kink:
            # A kink along u makes the directional verdict weak (the one-sided slopes along u
            # sum the jumps of every kink crossed), so the coordinates are explored instead.
            _localise(rep, i, x, w, projection, values, a - p.numeric, cfg,
                      kink=p.kink and p.passed)
            return


def _localise(rep: InputReport, i: int, x: np.ndarray, w: np.ndarray, projection: _Projection,
              values: list[np.ndarray], mismatch: float, cfg: _Cfg, kink: bool = False) -> None:
    """Bisect the coordinates of the failing direction ``w`` down to single elements.

    The mismatch of a set of coordinates S is <g_S, w_S> - D_{w_S} G: it is measured for the
    first half of S with four evaluations (a Richardson pair) and obtained for the second
    half by subtraction (both are linear in w). Halves whose mismatch exceeds their own
    tolerance are explored, the worse first, until single elements, which are then checked
    coordinate-wise (with kink detection). The evaluation budget caps the count of
    disagreeing elements.
    """
    rtol, atol, complex_step = cfg.rtol, cfg.atol, cfg.complex_step
    g = projection.grads[i].reshape(-1)
    wf = w.reshape(-1)
    tol_el = (atol + rtol * np.abs(g)) * np.abs(wf)
    t = 1e-20 if complex_step else EPS ** (1.0 / 3.0)
    budget = LOCALISATION_BUDGET
    start = projection.evaluator.count
    seen: set[int] = set()

    def numeric_on(idx: np.ndarray) -> float:
        part = np.zeros_like(wf)
        part[idx] = wf[idx]
        part = part.reshape(x.shape)
        if complex_step:
            args = list(values)
            args[i] = x.astype(np.complex128) + 1j * t * part
            return float(np.imag(projection.value(args)[0])) / t

        def central(step):
            args_p = list(values)
            args_p[i] = x + step * part
            args_m = list(values)
            args_m[i] = x - step * part
            return (projection.value(args_p)[0] - projection.value(args_m)[0]) / (2 * step)

        return (4 * central(t / 2) - central(t)) / 3  # Richardson: O(t**4)

    def flagged(idx: np.ndarray, mism: float) -> float:
        tol = float(np.sqrt(np.sum(tol_el[idx] ** 2))) + atol
        return abs(mism) / tol

    stack: list[tuple[np.ndarray, float]] = [(np.arange(wf.size), mismatch)]
    exhausted = False
    while stack:
        if projection.evaluator.count - start > budget:
            exhausted = True
            break
        idx, mism = stack.pop()
        if idx.size == 1:
            flat = int(idx[0])
            if flat in seen:
                continue
            seen.add(flat)
            el = _element(rep, i, x, flat, projection, values, cfg)
            rep.elements.append(el)
            if not el.passed:
                rep.bad.append(el)
            continue
        half = idx.size // 2
        first, second = idx[:half], idx[half:]
        m1 = float(np.dot(g[first], wf[first])) - numeric_on(first)
        m2 = mism - m1
        children = [(first, m1, flagged(first, m1)), (second, m2, flagged(second, m2))]
        children = [c for c in children if c[2] > 1.0]
        children.sort(key=lambda c: c[2])  # worst last: popped first
        stack.extend((c[0], c[1]) for c in children)
    rep.count_exact = not exhausted
    if not rep.bad:
        if kink:
            rep.note = (f"kinks crossed along a direction; bisection checked "
                        f"{len(rep.elements)} element(s) one by one ({len(rep.kinks)} at a kink), "
                        f"all consistent" + (" (stopped at its budget: partial)"
                                             if exhausted else ""))
        elif exhausted:
            rep.note = ("UNLOCALISED: a directional mismatch was confirmed but bisection found "
                        "no single disagreeing element within its budget; try mode='full'")
        else:
            rep.note = ("a directional mismatch could not be pinned on any element (the errors "
                        "of all elements are within tolerance; they only add up along u)")


# ------------------------------------------------------------------- public entry points

def _as_inputs(inputs) -> tuple[list[str], list[np.ndarray]]:
    if isinstance(inputs, Mapping):
        names = [str(k) for k in inputs]
        raw = list(inputs.values())
    elif isinstance(inputs, (list, tuple)):
        names = [f"input {j}" for j in range(len(inputs))]
        raw = list(inputs)
    else:
        names, raw = ["x"], [inputs]
    return names, [_float64(v, f"input {n!r}") for n, v in zip(names, raw, strict=True)]


def _as_grads(grads, names: list[str], values: list[np.ndarray], label: str) -> list[np.ndarray]:
    if isinstance(grads, Mapping):
        missing = [n for n in names if n not in grads]
        if missing:
            raise KeyError(f"{label}: no gradient given for input(s) {missing}")
        raw = [grads[n] for n in names]
    elif len(names) == 1 and not isinstance(grads, (list, tuple)):
        raw = [grads]
    else:
        raw = list(grads)
        if len(raw) != len(names):
            raise ValueError(f"{label}: {len(raw)} gradient(s) for {len(names)} input(s)")
    out = []
    for n, v, g in zip(names, values, raw, strict=True):
        if g is None:
            raise GradientMismatch(f"{label}: the gradient for input {n!r} is None")
        arr = _float64(g, f"gradient of {n!r}")
        if arr.shape != v.shape:
            raise GradientMismatch(f"{label}: the gradient for input {n!r} has shape "
                                   f"{arr.shape}, the input has shape {v.shape}")
        bad = ~np.isfinite(arr)
        if bad.any():
            first = tuple(int(j) for j in np.argwhere(bad)[0]) if arr.ndim else ()
            raise GradientMismatch(f"{label}: the gradient for input {n!r} has "
                                   f"{int(bad.sum())} non-finite element(s), first at {first}")
        out.append(arr)
    return out


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(0 if seed is None else seed)


def _saved_global_rng():
    return np.random.get_state(), random.getstate()  # noqa: NPY002


def _restore_global_rng(state) -> None:
    np.random.set_state(state[0])  # noqa: NPY002
    random.setstate(state[1])


def check_gradients(f: Callable[..., Any], inputs, grads, *, name: str = "gradient",
                    rtol: float | None = None, atol: float | None = None, mode: str = "auto",
                    directions: int = DEFAULT_DIRECTIONS, seed: int | None = None,
                    raise_on_failure: bool = True, kinks: str = "interval") -> GradcheckResult:
    """Scalar form: check the gradients ``grads`` of ``f(*inputs) -> float``.

    ``inputs`` is a dict ``{name: array}`` (passed to ``f`` positionally, in order), a list,
    or one array; ``grads`` matches it (dict by name, list, or one array). ``mode`` is
    ``"auto"`` (full up to FULL_MODE_MAX_SIZE elements, else directional),
    ``"directional"``, ``"full"``, ``"complex"`` (directional complex step) or
    ``"complex-full"``. ``seed`` draws the directions and, when given, re-seeds numpy's and
    python's global RNGs before every evaluation of ``f`` (so a forward that draws random
    numbers, like dropout, sees the same ones each time); the global RNG state is restored
    afterwards. ``kinks="interval"`` (default): where the stencil crosses a kink, the
    analytic value must lie between the one-sided slopes (right for a single kink per
    element, as in ReLU, hinge, |w|, max, max-norm); ``kinks="report"``: kinks are only
    reported (for points where several kinks of mixed curvature meet on one coordinate).
    Raises :class:`GradientMismatch` on failure (or returns the failing result when
    ``raise_on_failure=False``).
    """
    names, values = _as_inputs(inputs)
    analytic = _as_grads(grads, names, values, name)
    ev = _Evaluator(f, seed)

    def value(args):
        out = _scalar_value(ev.raw(args), name)
        return out, abs(out)

    projection = _Projection(value, analytic, values, ev)
    state = _saved_global_rng()
    try:
        return _run(name, "scalar", names, values, lambda k: projection, ev, mode=mode,
                    directions=directions, rtol=rtol, atol=atol, seed=seed, rng=_rng(seed),
                    raise_on_failure=raise_on_failure, kinks=kinks)
    finally:
        _restore_global_rng(state)


def check_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, analytic: np.ndarray, *,
                   name: str = "gradient", rtol: float | None = None,
                   atol: float | None = None, mode: str = "auto",
                   directions: int = DEFAULT_DIRECTIONS, seed: int | None = None,
                   raise_on_failure: bool = True, kinks: str = "interval") -> GradcheckResult:
    """Scalar form, one input: raise GradientMismatch unless ``analytic`` is the gradient of
    ``f`` at ``x``. See :func:`check_gradients` for the options."""
    return check_gradients(f, {"x": x}, {"x": analytic}, name=name, rtol=rtol, atol=atol,
                           mode=mode, directions=directions, seed=seed,
                           raise_on_failure=raise_on_failure, kinks=kinks)


def check_layer(forward: Callable[..., Any], backward: Callable[[np.ndarray], Any], inputs, *,
                name: str = "layer", rtol: float | None = None, atol: float | None = None,
                mode: str = "auto", directions: int = DEFAULT_DIRECTIONS,
                seed: int | None = None, upstream: np.ndarray | None = None,
                raise_on_failure: bool = True, kinks: str = "interval") -> GradcheckResult:
    """Layer form: ``forward(*inputs) -> out`` and ``backward(dout) -> input gradients``.

    ``forward`` may also return ``(out, cache)`` (the course's layer API); then ``backward``
    is called as ``backward(dout, cache)`` with the cache of the unperturbed forward.
    ``backward`` returns one array (one input), a tuple in the order of ``inputs`` (extra
    trailing entries are ignored) or a dict by input name. Each direction k draws its own
    Gaussian upstream gradient v_k (or uses ``upstream`` for every k) and checks
    ``v_k^T J u`` against ``u . backward(v_k)``. Other options as :func:`check_gradients`.
    """
    names, values = _as_inputs(inputs)
    ev = _Evaluator(forward, seed)
    rng = _rng(seed)
    state = _saved_global_rng()
    try:
        first = ev.raw(values)
        out0, cache0, has_cache = _split_forward(first)
        out0 = np.asarray(out0)
        if out0.dtype.kind not in "fc":
            raise TypeError(f"{name}: forward returned dtype {out0.dtype}, not a float array")
        upstreams: dict[int, np.ndarray] = {}

        def v_for(k: int) -> np.ndarray:
            if k not in upstreams:
                upstreams[k] = (np.asarray(upstream, np.float64) if upstream is not None
                                else np.random.default_rng([k, 0 if seed is None else seed])
                                .standard_normal(out0.shape))
                if upstreams[k].shape != out0.shape:
                    raise ValueError(f"{name}: upstream has shape {upstreams[k].shape}, "
                                     f"the forward output has shape {out0.shape}")
            return upstreams[k]

        def projections(k: int) -> _Projection:
            v = v_for(k)
            grads_raw = backward(v.copy(), cache0) if has_cache else backward(v.copy())
            if isinstance(grads_raw, (tuple, list)) and not isinstance(grads_raw, Mapping):
                grads_raw = list(grads_raw)[: len(names)]
            grads = _as_grads(grads_raw, names, values, name)

            def value(args):
                out, _, _ = _split_forward(ev.raw(args))
                out = np.asarray(out)
                if out.shape != v.shape:
                    raise GradientMismatch(f"{name}: forward output changed shape from "
                                           f"{v.shape} to {out.shape} under perturbation")
                prod = v * out
                return np.sum(prod), float(np.sum(np.abs(prod)))

            return _Projection(value, grads, values, ev)

        return _run(name, "layer", names, values, projections, ev, mode=mode,
                    directions=directions, rtol=rtol, atol=atol, seed=seed, rng=rng,
                    raise_on_failure=raise_on_failure, kinks=kinks)
    finally:
        _restore_global_rng(state)


def _split_forward(result: Any) -> tuple[Any, Any, bool]:
    if isinstance(result, tuple) and len(result) == 2:
        return result[0], result[1], True
    return result, None, False


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, *,
                     method: str = "central", seed: int | None = None) -> np.ndarray:
    """The numeric gradient of scalar ``f`` at ``x``, every element (2n or n evaluations).

    ``method="central"``: central differences with :func:`step_size`. ``method="complex"``:
    complex step ``Im f(x + i h e_j) / h`` with h = 1e-20 max(|x_j|, 1) (f must be analytic).
    ``seed`` pins numpy's and python's global RNGs before every evaluation.
    """
    x = _float64(x, "x")
    ev = _Evaluator(f, seed)
    grad = np.zeros_like(x)
    state = _saved_global_rng()
    try:
        for idx in np.ndindex(x.shape):
            if method == "complex":
                h = 1e-20 * max(abs(float(x[idx])), 1.0)
                xc = x.astype(np.complex128)
                xc[idx] += 1j * h
                value = ev.raw([xc])
                if not np.iscomplexobj(value):
                    raise ComplexStepUnsupported("f returned a real value for a complex input")
                grad[idx] = np.imag(value) / h
            elif method == "central":
                h = float(step_size(x[idx]))
                xp, xm = x.copy(), x.copy()
                xp[idx] += h
                xm[idx] -= h
                grad[idx] = (_scalar_value(ev.raw([xp]), "f")
                             - _scalar_value(ev.raw([xm]), "f")) / (2 * h)
            else:
                raise ValueError(f"method must be 'central' or 'complex', not {method!r}")
    finally:
        _restore_global_rng(state)
    return grad


# ------------------------------------------------------------------- Taylor remainder test

@dataclass
class TaylorResult:
    """Remainders r(t) = |f(x + t d) - f(x) - t <g, d>| for halving t, and their slope."""

    name: str
    steps: np.ndarray
    remainders: np.ndarray
    floor: float
    slope: float | None
    passed: bool
    note: str

    def __bool__(self) -> bool:
        return self.passed

    def message(self) -> str:
        slope = "n/a" if self.slope is None else f"{self.slope:.2f}"
        pairs = zip(self.steps[::4], self.remainders[::4], strict=True)
        table = ", ".join(f"{t:.1e}:{r:.1e}" for t, r in pairs)
        return (f"{self.name}: Taylor test {'passed' if self.passed else 'FAILED'}: slope "
                f"{slope} (~2 right, ~1 wrong; threshold {TAYLOR_MIN_SLOPE}); {self.note}; "
                f"rounding floor {self.floor:.1e}; t:r(t) {table}")


def taylor_test(f: Callable[..., Any], inputs, grads, *, name: str = "gradient",
                seed: int | None = None, t0: float = 1e-2, steps: int = 24,
                raise_on_failure: bool = True) -> TaylorResult:
    """Second opinion with no tolerance: the slope of the Taylor remainder on a log-log scale.

    Along a random Gaussian direction d (scaled by max(|x|, 1), all inputs at once), the
    remainder ``|f(x + t d) - f(x) - t <g, d>|`` is O(t**2) when g is the gradient and
    ~ t |<g - grad f, d>| when it is not. The slope is fitted on the four smallest steps
    whose remainder stands clear of rounding (64 eps |f|); slope >= 1.5 passes. A remainder
    at rounding level for every t (f linear along d) passes, and so does one that vanishes
    abruptly below some t (a kink crossed only at the larger steps).
    """
    names, values = _as_inputs(inputs)
    analytic = _as_grads(grads, names, values, name)
    ev = _Evaluator(f, seed)
    rng = _rng(seed)
    ds = [rng.standard_normal(v.shape) * np.maximum(np.abs(v), 1.0) for v in values]
    gd = float(sum(np.sum(g * d) for g, d in zip(analytic, ds, strict=True)))
    state = _saved_global_rng()
    try:
        f0 = float(_scalar_value(ev.raw(values), name))
        ts = t0 * 0.5 ** np.arange(steps)
        fs = np.array([
            float(_scalar_value(ev.raw([v + t * d for v, d in zip(values, ds, strict=True)]),
                                name))
            for t in ts])
    finally:
        _restore_global_rng(state)
    rem = np.abs(fs - f0 - ts * gd)
    floor = 64 * EPS * max(abs(f0), float(np.max(np.abs(fs))), abs(t0 * gd), TINY)
    above = np.flatnonzero(rem > floor)
    if not np.all(np.isfinite(rem)):
        result = TaylorResult(name, ts, rem, floor, None, False, "the forward was not finite")
    elif above.size == 0:
        result = TaylorResult(name, ts, rem, floor, None, True,
                              "remainder at rounding level for every t (f is linear along d "
                              "and the gradient agrees)")
    else:
        last = int(above[-1])
        if last + 1 < steps and rem[last] > 8 * floor and rem[last + 1] <= floor:
            result = TaylorResult(name, ts, rem, floor, None, True,
                                  f"remainder vanishes abruptly below t={ts[last]:.1e}: a kink "
                                  f"crossed at larger t, consistent below it")
        else:
            run = [last]
            while len(run) < 4 and run[-1] - 1 in set(above.tolist()):
                run.append(run[-1] - 1)
            if len(run) < 2:
                result = TaylorResult(name, ts, rem, floor, None, True,
                                      "too few remainders above rounding to fit a slope")
            else:
                idx = np.array(sorted(run))
                slope = float(np.polyfit(np.log(ts[idx]), np.log(rem[idx]), 1)[0])
                ok = slope >= TAYLOR_MIN_SLOPE
                note = (f"fitted on t in [{ts[idx[-1]]:.1e}, {ts[idx[0]]:.1e}]"
                        + ("" if ok else "; slope ~1 means <g, d> is not the derivative "
                           "along d"))
                result = TaylorResult(name, ts, rem, floor, slope, ok, note)
    if raise_on_failure and not result.passed:
        raise GradientMismatch(result.message())
    return result


# -------------------------------------------------------------------- three-way agreement

@dataclass
class ThreeWayResult:
    name: str
    analytic_vs_numeric: GradcheckResult
    analytic_vs_reference: list[tuple[str, float, bool]]  # (input, max rel error, agrees)
    numeric_vs_reference: GradcheckResult
    diagnosis: str

    @property
    def passed(self) -> bool:
        return (self.analytic_vs_numeric.passed and self.numeric_vs_reference.passed
                and all(ok for _, _, ok in self.analytic_vs_reference))

    def __bool__(self) -> bool:
        return self.passed

    def message(self) -> str:
        ref = "; ".join(f"{n}: max rel error {e:.3g}{'' if ok else ' (DISAGREES)'}"
                        for n, e, ok in self.analytic_vs_reference)
        return (f"{self.name}: three-way gradient check "
                f"{'passed' if self.passed else 'FAILED'}: {self.diagnosis}\n"
                f"[analytic vs numeric of its own forward]\n{self.analytic_vs_numeric.message()}\n"
                f"[analytic vs autograd of the reference] {ref}\n"
                f"[numeric of its own forward vs autograd of the reference]\n"
                f"{self.numeric_vs_reference.message()}")


def check_three_way(forward: Callable[..., Any], grads, reference_forward: Callable[..., Any],
                    inputs, *, upstream: np.ndarray | None = None, name: str = "gradient",
                    rtol: float | None = None, atol: float | None = None, mode: str = "auto",
                    directions: int = DEFAULT_DIRECTIONS, seed: int | None = None,
                    raise_on_failure: bool = True) -> ThreeWayResult:
    """The implementation's gradient vs the numeric gradient of its own forward vs autograd
    applied to the reference forward (written with ``autograd.numpy``).

    ``forward`` and ``reference_forward`` take ``*inputs`` and return a scalar, or an array
    when ``upstream`` is given; ``grads`` are the implementation's gradients of ``f`` (of
    ``<upstream, forward>`` in the layer form, i.e. its backward applied to ``upstream``).
    When the three disagree, the message says which side is wrong: the backward (analytic
    differs from both), the forward (analytic matches the reference but not its own
    forward), or both the forward and backward conventions (self-consistent, but not the
    reference). ``seed`` re-seeds the global RNGs before every forward, reference included.
    """
    import autograd
    import autograd.numpy as anp

    rtol, atol = tolerances(rtol, atol, mode)
    names, values = _as_inputs(inputs)
    analytic = _as_grads(grads, names, values, name)
    v = None if upstream is None else np.asarray(upstream, np.float64)

    def scalarise(fn):
        if v is None:
            return fn
        return lambda *a: anp.sum(v * fn(*a))

    own, ref = scalarise(forward), scalarise(reference_forward)
    state = _saved_global_rng()
    try:
        reference = []
        for i in range(len(values)):
            if seed is not None:
                np.random.seed(seed % 2**32)  # noqa: NPY002 (pinning the global RNG is the point)
                random.seed(seed)
            reference.append(np.asarray(autograd.grad(ref, i)(*values), np.float64))
    finally:
        _restore_global_rng(state)
    opts = dict(rtol=rtol, atol=atol, mode=mode, directions=directions, seed=seed,
                raise_on_failure=False)
    named = dict(zip(names, values, strict=True))
    a_vs_n = check_gradients(own, named, dict(zip(names, analytic, strict=True)),
                             name=f"{name} (analytic vs numeric)", **opts)
    n_vs_r = check_gradients(own, named, dict(zip(names, reference, strict=True)),
                             name=f"{name} (reference autograd vs numeric)", **opts)
    a_vs_r = []
    for n, a, r in zip(names, analytic, reference, strict=True):
        err = np.abs(a - r)
        ok = bool(np.all(err <= atol + rtol * np.maximum(np.abs(a), np.abs(r))))
        a_vs_r.append((n, float(np.max(rel_error(a, r), initial=0.0)), ok))
    an, ar, nr = a_vs_n.passed, all(ok for _, _, ok in a_vs_r), n_vs_r.passed
    if an and ar and nr:
        diagnosis = "all three agree"
    elif an and not ar:
        diagnosis = ("the analytic gradient matches its own forward but not the reference: the "
                     "forward computes a different function (its backward follows it)")
    elif ar and not an:
        diagnosis = ("the analytic gradient matches the reference but not the numeric gradient "
                     "of its own forward: the forward pass is wrong, the backward is right")
    elif nr and not an:
        diagnosis = ("the forward matches the reference, the analytic gradient matches neither: "
                     "the backward pass is wrong")
    else:
        diagnosis = "the forward and the backward both disagree with the reference"
    result = ThreeWayResult(name, a_vs_n, a_vs_r, n_vs_r, diagnosis)
    if raise_on_failure and not result.passed:
        raise GradientMismatch(result.message())
    return result


# ---------------------------------------------------------------------- command line

def load_target(spec: str) -> Callable:
    """``pkg.mod:function`` or ``path/to/file.py:function`` -> the callable (UsageError if not).

    ``pkg.mod`` resolves from the current working directory as well, and a file inside a
    package is imported by its dotted name (see :mod:`nncheck.adapters.module`)."""
    from pathlib import Path

    from nncheck.errors import UsageError

    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise UsageError(f"expected MODULE:FUNCTION or FILE.py:FUNCTION, got {spec!r}")
    if module_part.endswith(".py"):
        from nncheck.adapters.module import load_file_as_module

        path = Path(module_part).expanduser()
        if not path.is_file():
            raise UsageError(f"file not found: {module_part}")
        module = load_file_as_module(path)
    else:  # from the folder the user stands in too, as `python -m` would
        from nncheck.adapters.module import import_from_cwd

        try:
            module = import_from_cwd(module_part)  # UsageError if its import fails
        except ModuleNotFoundError as exc:
            raise UsageError(f"cannot import {module_part!r}: {exc}") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise UsageError(f"{module_part} has no function {attr!r}")
    return fn


MAX_ELEMENTS = 10**8  # 800 MB of float64 per input: the most ``nncheck gradcheck`` draws


def parse_shape(text: str, max_elements: int = MAX_ELEMENTS) -> tuple[int, ...]:
    """``"4,3"`` (or ``"4x3"``) -> (4, 3); ``"name=4,3"`` is accepted by the caller.

    UsageError unless every dimension is a positive integer and the shape has at most
    ``max_elements`` elements (checked before anything is allocated)."""
    from nncheck.errors import UsageError

    parts = text.replace("x", ",").split(",")
    if not text.strip() or not all(p.strip().isdecimal() for p in parts):
        raise UsageError(f"--shape takes comma-separated positive integers, got {text!r}")
    shape = tuple(int(p) for p in parts)
    if any(n <= 0 for n in shape):
        raise UsageError(f"--shape takes comma-separated positive integers, got {text!r}")
    if math.prod(shape) > max_elements:
        raise UsageError(f"--shape {text} has {math.prod(shape):.3g} elements; at most "
                         f"{max_elements:,} fit in memory")
    return shape
