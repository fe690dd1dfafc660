"""Calling an implementation under test, and judging what comes back.

Every call of an implementation goes through :func:`call_checked`, so every property
gets the same protection for free: the inputs are copied and compared afterwards (an
implementation must not mutate them), an exception becomes
:class:`~nncheck.errors.ImplementationRaised`, and each output is checked against the
component's output spec (see :mod:`nncheck.contract`) for type, dtype, shape and
finiteness, raising :class:`~nncheck.errors.ContractViolation` with a message that says
which output broke which rule.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from nncheck.contract import Component
from nncheck.errors import ContractViolation, ImplementationFault, ImplementationRaised
from nncheck.verdict import stub_raised_reason


def parameter_names(comp: Component) -> list[str]:
    """Parameter names of the canonical signature, e.g. ``['scores', 'y']``."""
    return list(_parameter_names(comp.signature))


@functools.cache
def _parameter_names(signature: str) -> tuple[str, ...]:
    inside = re.match(r"\w+\((.*?)\)", signature).group(1)
    return tuple(p.split("=")[0].strip() for p in inside.split(",") if p.strip())


def call_guarded(fn: Callable, args: tuple, kwargs: dict, label: str) -> Any:
    """Call ``fn``; refuse input mutation and turn any exception into ImplementationRaised.

    A function of the implementation process (it has ``call_remote``, see
    :mod:`nncheck.runtime.boundary`) is guarded there, beside the code under test.
    """
    remote = getattr(fn, "call_remote", None)
    if remote is not None:
        return remote(args, kwargs, label)
    snapshots = [(i, a.copy()) for i, a in enumerate(args) if isinstance(a, np.ndarray)]
    snapshots += [(k, v.copy()) for k, v in kwargs.items() if isinstance(v, np.ndarray)]
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError as exc:  # a stub, e.g. from `nncheck template`
        skip_not_implemented(label, f"{exc}")
    except (ImplementationRaised, ContractViolation, ImplementationFault):
        raise  # already a verdict
    except BaseException as exc:  # KeyboardInterrupt, SystemExit and odd BaseExceptions too
        raise ImplementationRaised(f"{label} raised {type(exc).__name__}: {exc}") from exc
    for key, before in snapshots:
        after = args[key] if isinstance(key, int) else kwargs[key]
        if after.shape != before.shape or not np.array_equal(after, before, equal_nan=True):
            where = f"argument {key + 1}" if isinstance(key, int) else f"argument {key!r}"
            raise ContractViolation(f"{label} mutated its input ({where}); inputs must be left as given")
    return result


def skip_not_implemented(label: str, text: str):
    """Report the invariant as not-implemented: a pytest skip stops Hypothesis at once."""
    import pytest

    pytest.skip(stub_raised_reason(label, text))


def call_checked(comp: Component, fn: Callable, args: tuple, kwargs: dict, label: str) -> Any:
    """Guarded call plus output checks; one output is returned bare, several as a tuple."""
    return check_outputs(comp, call_guarded(fn, args, kwargs, label), args, kwargs, label)


def check_outputs(comp: Component, result: Any, args: tuple, kwargs: dict, label: str) -> Any:
    """Check what a component returned against its output specs (see nncheck.contract)."""
    specs = comp.outputs
    if len(specs) > 1:
        if type(result) not in (tuple, list) or len(result) != len(specs):
            got = f"{type(result).__name__} of length {len(result)}" if type(result) in (
                tuple, list) else _describe(result)
            raise ContractViolation(f"{label} must return a tuple of {len(specs)} values, got {got}")
        outputs = tuple(result)
    else:
        outputs = (result,)
    named = dict(zip(parameter_names(comp), args, strict=False))
    named.update(kwargs)
    checked = tuple(
        check_output(value, spec, named, f"{label} output {i + 1}")
        for i, (value, spec) in enumerate(zip(outputs, specs or ("any",), strict=False))
    )
    return checked if len(specs) > 1 else checked[0]


def check_output(value: Any, spec: str, named: dict, label: str) -> Any:
    """Check one output against its spec; return it (a scalar as a python float).

    Only what the contract names passes: an exact float64 ``ndarray`` (no subclass such as
    ``np.matrix``, no object that merely converts to one), or for a scalar a python float
    or int, a ``np.float64`` or a 0-d float64 array. Anything else is described as it is.
    """
    if spec in ("any", "opaque"):
        return value
    if spec == "scalar":
        if type(value) is np.ndarray and value.ndim == 0 and value.dtype == np.float64:
            value = value[()]
        if type(value) not in (float, int, np.float64):
            raise ContractViolation(f"{label} must be a real scalar (a float), got {_describe(value)}")
        value = float(value)
        if not np.isfinite(value):
            raise ContractViolation(f"{label} is {value} (not finite)")
        return value
    if type(value) is not np.ndarray:
        raise ContractViolation(f"{label} must be a numpy float64 array, got {_describe(value)}")
    if value.dtype != np.float64:
        raise ContractViolation(f"{label} has dtype {value.dtype}; the contract requires float64")
    kind, _, rest = spec.partition(":")
    if kind in ("like", "shape"):
        arg_name, _, axes = rest.partition(":")
        ref = np.shape(named[arg_name])
        want = ref if kind == "like" else ref[: int(axes)]
        got = value.shape if kind == "like" else value.shape[: int(axes)]
        if got != want:
            violation = ContractViolation(
                f"{label} has shape {value.shape}; expected {'' if kind == 'like' else 'leading '}"
                f"shape {want} (from {arg_name})")
            violation.shapes = (got, want)  # for nncheck.hints (keepdims)
            raise violation
    bad = ~np.isfinite(value)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ContractViolation(
            f"{label} has {int(bad.sum())} non-finite element(s) of {value.size}, "
            f"first at index {first}: {value[first]}")
    return value


def _kind(obj: Any) -> str:
    """The class of ``obj`` as the implementation named it (also across the boundary)."""
    if hasattr(type(obj), "_nncheck_description"):  # a RemoteObject or a RecordedObject
        handle = obj._nncheck_handle
        if handle is not None:
            return handle.type_name.rpartition(".")[2]
        obj = obj._nncheck_obj
    return type(obj).__name__


def _describe(value: Any) -> str:
    if hasattr(type(value), "_nncheck_description"):  # kept in the implementation process
        return value._nncheck_description
    if isinstance(value, np.ndarray):
        kind = "ndarray" if type(value) is np.ndarray else f"{type(value).__module__}.{type(value).__name__}"
        return f"{kind} of dtype {value.dtype} and shape {value.shape}"
    if isinstance(value, np.generic):
        return f"numpy.{type(value).__name__} {value!r}"
    try:
        text = repr(value)
    except Exception:
        text = "<unprintable>"
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


# ----------------------------------------------------------------- estimator components
# Components of kind "estimator" (contract.ESTIMATOR_PROTOCOL) return an object; its methods
# and fitted attributes get the same protection as a component call.

# Name of the first positional argument of each estimator method, for "like:ARG" specs.
METHOD_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "fit": ("X",),
    "transform": ("X",),
    "fit_transform": ("X",),
    "inverse_transform": ("Z",),
}


def call_method(obj: Any, method: str, *args: Any, output: str = "any", label: str = "estimator",
                **kwargs: Any) -> Any:
    """Call ``obj.method(*args, **kwargs)`` guarded, and check what it returns.

    ``output`` is an output spec of :mod:`nncheck.contract` (``"like:X"``, ``"shape:X:1"``,
    ``"array"``, ...) whose argument names are those of :data:`METHOD_ARGUMENTS`, or
    ``"self"``: the method must return ``obj`` itself (the protocol's ``fit``). A missing
    method, a mutated input or a bad output is a :class:`~nncheck.errors.ContractViolation`;
    an exception inside the method is an :class:`~nncheck.errors.ImplementationRaised`.
    """
    fn = getattr(obj, method, None)
    where = f"{label}.{method}"
    if not callable(fn):
        raise ContractViolation(f"{label} (a {_kind(obj)}) has no method {method}(); "
                                "the estimator protocol requires it")
    return _method_output(obj, method, call_guarded(fn, args, kwargs, where), args, kwargs,
                          output, where)


def call_method_many(obj: Any, method: str, calls: list[tuple[tuple, dict]], *,
                     output: str = "any", label: str = "estimator") -> list[Any]:
    """``[call_method(obj, method, *args, **kwargs, ...) for args, kwargs in calls]``; a
    method of an object in the implementation process answers them in one round trip."""
    fn = getattr(obj, method, None)
    many = getattr(fn, "call_many_remote", None)
    if many is None:
        return [call_method(obj, method, *args, output=output, label=label, **kwargs)
                for args, kwargs in calls]
    where = f"{label}.{method}"
    return [_method_output(obj, method, result, args, kwargs, output, where)
            for result, (args, kwargs) in zip(many(calls, where), calls, strict=True)]


def _method_output(obj: Any, method: str, result: Any, args: tuple, kwargs: dict, output: str,
                   where: str) -> Any:
    if output == "self":
        if result is not obj:
            raise ContractViolation(f"{where} must return the estimator itself, got "
                                    f"{_describe(result)}")
        return result
    named = dict(zip(METHOD_ARGUMENTS.get(method, ()), args, strict=False))
    named.update(kwargs)
    return check_output(result, output, named, f"{where} output")


def fitted_attribute(obj: Any, name: str, *, output: str = "array",
                     label: str = "estimator") -> Any:
    """A fitted attribute (e.g. ``mean_``), checked against ``output`` ("array", "scalar")."""
    if not hasattr(obj, name):
        raise ContractViolation(f"{label} (a {_kind(obj)}) has no fitted attribute "
                                f"{name!r} after fit()")
    try:
        value = getattr(obj, name)
    except Exception as exc:
        raise ImplementationRaised(f"{label}.{name} raised {type(exc).__name__}: {exc}") from exc
    return check_output(value, output, {}, f"{label}.{name}")
