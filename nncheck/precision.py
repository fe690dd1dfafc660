"""Does an implementation compute in the precision it was asked for?

The suite hands every component float64 arrays and judges it at float64 tolerances. Some
implementations still compute in float32 (Keras 3 on JAX maps float64 to float32 in its
type promotion; a user's code may cast). Judged at float64 tolerances such a component
fails many invariants by float32 rounding, none of which names the cause. This module
tells that case apart from a bug, so that the component gets one verdict that says so:

* :func:`probe` replays one call of the failing example twice, the second time with every
  float input changed by a relative :data:`STEP` (far below float32's resolution and far
  above float64's). Arithmetic in float64 moves the output as the float64 reference does;
  a float32 stage anywhere between input and output either hides the change or moves the
  output in float32-sized steps. The evidence is in the implementation's own outputs, so
  a float64 implementation with a bug is never taken for a low-precision one.
* :func:`within_rounding` says whether a failed comparison is no larger than float32
  rounding of the example's values (:data:`ROUNDING_FACTOR` float32 units of the largest
  value the comparison or the call involved), i.e. explained by the precision found.

:func:`nncheck.verdict.settle_precision` turns the two into verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncheck.compare import Mismatch

# Relative change of every float input: 2**-36 is 2**12 times below float32's unit
# roundoff (2**-24) and 2**17 times above float64's (2**-53).
STEP = 2.0 ** -36
# A change float32 arithmetic resolves (2**12 of its units), at which the output must
# follow the reference's change: one that does not is a different function (a bug, e.g.
# an output that ignores an input), not a matter of precision.
COARSE_STEP = 2.0 ** -12
# ... follow it to within this fraction (float32 noise is 2**-12 of the change, the
# curvature over a relative step of 2**-12 a few times that).
COARSE_AGREEMENT = 0.25
# The probe's fixed direction (+-1 per element); fixed so that a finding replays.
DIRECTION_SEED = 20161
# The output moved unlike the reference when the two changes differ by more than half
# the reference's change: float64 arithmetic differs from it by ~2**-17 of it (the
# rounding of two float64 evaluations over the size of the change).
DISAGREEMENT = 0.5
FLOAT32_ROUNDOFF = float(np.finfo(np.float32).eps) / 2
# A comparison within ROUNDING_FACTOR float32 units of the example's largest value is
# explained by float32 arithmetic (sums of up to thousands of terms, differences of
# nearly equal numbers such as x - mean(x) at a large mean).
ROUNDING_FACTOR = 2.0 ** 12


@dataclass(frozen=True)
class LowPrecision:
    """What :func:`probe` found: an output that does not move as float64 arithmetic does."""

    component: str
    output: str  # which output, e.g. "output 1 of 2"
    reference_change: float  # largest change of the reference's output
    actual_change: float  # largest change of the implementation's output
    disagreement: float  # largest |actual change - reference change|

    def describe(self) -> str:
        return (f"{self.component} computes in lower precision than the float64 it was given: "
                f"changing every float input by a relative {STEP:.2g} (far below float32's "
                f"resolution) moves the reference's {self.output} by up to "
                f"{self.reference_change:.3g} but the implementation's by up to "
                f"{self.actual_change:.3g} (they differ by {self.disagreement:.3g}), as "
                "float32 (or lower) arithmetic does; its results carry that rounding "
                f"(float32: {FLOAT32_ROUNDOFF:.2g} relative)")


def probe(component: str, call_impl: Callable, call_ref: Callable, args: tuple,
          kwargs: dict) -> LowPrecision | None:
    """Replay ``component(*args, **kwargs)`` on the implementation and on the reference, at
    the inputs and at the inputs changed by :data:`STEP`; a :class:`LowPrecision` when an
    output of the implementation does not follow the reference's change there but does
    follow it at :data:`COARSE_STEP`, else None (also when the call has no float input, an
    output no float, or either side raises)."""
    try:
        fine = _changes(component, call_impl, call_ref, args, kwargs, STEP)
        coarse = _changes(component, call_impl, call_ref, args, kwargs, COARSE_STEP)
    except Exception:  # the failing invariant already says what went wrong
        return None
    for k, ((ref_change, impl_change, scale), (coarse_ref, coarse_impl, _)) in enumerate(
            zip(fine, coarse, strict=False)):
        with np.errstate(all="ignore"):
            moved = float(np.max(np.abs(ref_change)))
            disagreement = float(np.max(np.abs(impl_change - ref_change)))
            follows = float(np.max(np.abs(coarse_impl - coarse_ref))) <= COARSE_AGREEMENT * float(
                np.max(np.abs(coarse_ref)))
        if not (np.isfinite(scale) and np.isfinite(disagreement)) or moved <= STEP * 2.0 ** -8 * scale:
            continue  # this output hardly depends on the inputs (a sign, a count)
        if disagreement > DISAGREEMENT * moved and follows:
            output = "output" if len(fine) == 1 else f"output {k + 1} of {len(fine)}"
            return LowPrecision(component, output, moved,
                                float(np.max(np.abs(impl_change))), disagreement)
    return None


def _changes(component: str, call_impl: Callable, call_ref: Callable, args: tuple,
             kwargs: dict, step: float) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """Per float output: the reference's change, the implementation's change and the
    reference's largest magnitude, when every float input changes by a relative ``step``
    in the fixed direction (empty when no input is a float array or the outputs differ in
    number or shape)."""
    rng = np.random.default_rng(DIRECTION_SEED)
    moved_args = tuple(_moved(a, rng, step) for a in args)
    moved_kwargs = {k: _moved(v, rng, step) for k, v in kwargs.items()}
    if all(a is b for a, b in zip(args, moved_args, strict=True)) and all(
            kwargs[k] is moved_kwargs[k] for k in kwargs):
        return []
    def floats(result):
        return _floats(_data_outputs(component, result))

    a0, a1 = floats(call_impl(*args, **kwargs)), floats(call_impl(*moved_args, **moved_kwargs))
    e0, e1 = floats(call_ref(*args, **kwargs)), floats(call_ref(*moved_args, **moved_kwargs))
    if not len(a0) == len(a1) == len(e0) == len(e1):
        return []
    out = []
    for parts in zip(a0, a1, e0, e1, strict=True):
        if len({p.shape for p in parts}) != 1 or parts[0].size == 0:
            return []
        with np.errstate(all="ignore"):
            out.append((parts[3] - parts[2], parts[1] - parts[0],
                        float(np.max(np.abs(parts[2])))))
    return out


def within_rounding(error: BaseException, inputs: tuple) -> bool:
    """Whether ``error`` is a comparison (:class:`~nncheck.compare.Mismatch`) whose every
    element is within float32 rounding of the example's values: :data:`ROUNDING_FACTOR`
    float32 units of the largest magnitude among the expected values and ``inputs``."""
    if not isinstance(error, Mismatch) or error.actual.shape != error.expected.shape:
        return False
    scale = max([float(np.max(np.abs(error.expected), initial=0.0))]
                + [float(np.max(np.abs(a), initial=0.0)) for a in _floats(inputs)])
    with np.errstate(all="ignore"):
        diff = np.abs(error.actual - error.expected)
        return bool(np.isfinite(scale) and np.all(diff <= ROUNDING_FACTOR * FLOAT32_ROUNDOFF * scale))


def _data_outputs(component: str, result: Any) -> Any:
    """``result`` without the outputs the contract calls opaque (a backward pass's cache)."""
    from nncheck.contract import COMPONENTS

    outputs = COMPONENTS[component].outputs
    if isinstance(result, tuple) and len(result) == len(outputs):
        return tuple(r for r, kind in zip(result, outputs, strict=True) if kind != "opaque")
    return result


def _moved(value: Any, rng: np.random.Generator, step: float) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
        signs = rng.choice([-1.0, 1.0], size=value.shape)
        return value * (1.0 + step * signs)
    return value


def _floats(value: Any) -> list[np.ndarray]:
    """The float arrays (and Python / numpy floats) in ``value``, a result or a tuple of them."""
    if isinstance(value, (tuple, list)):
        return [a for item in value for a in _floats(item)]
    if isinstance(value, (float, np.floating)) or (
            isinstance(value, np.ndarray) and value.dtype.kind == "f"):
        return [np.asarray(value, dtype=np.float64)]
    return []
