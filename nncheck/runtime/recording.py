"""Recording the calls of the example running now, for counterexamples that replay.

The plugin hands every property a :class:`RecordingImplementation`: each call of a
component, and of a method on an estimator a component returned, is logged with its
arguments in a :class:`CallLog`. The log starts afresh whenever Hypothesis starts a new
example, so when a property fails it holds exactly the calls of the shrunk failing example;
:func:`nncheck.report.repro.serialise_calls` stores them in the verdict.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncheck.contract import COMPONENTS
from nncheck.implementation import Implementation


def _current_example() -> Any:
    """The Hypothesis build context of the example running now (None outside one)."""
    try:
        from hypothesis.control import current_build_context

        return current_build_context()
    except Exception:  # no example is running, or hypothesis is absent
        return None


class CallLog:
    """The calls made during the current example (see the module docstring)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.calls: list[dict] = []
        self.produced: list[tuple[Any, int, int | None]] = []  # (object, call, output index)
        self._example = None

    def _boundary(self) -> None:
        example = _current_example()
        if example is not self._example:
            self.calls, self.produced, self._example = [], [], example

    def begin(self, component: str, method: str | None, target: int | None,
              args: tuple, kwargs: dict) -> int:
        self._boundary()
        self.calls.append({
            "component": component, "method": method, "target": target,
            "args": [_snapshot(a) for a in args],
            "kwargs": {k: _snapshot(v) for k, v in kwargs.items()},
        })
        return len(self.calls) - 1

    def produced_by(self, index: int, result: Any) -> None:
        self.produced.append((result, index, None))
        if isinstance(result, tuple):
            for k, item in enumerate(result):
                self.produced.append((item, index, k))

    def origin(self, value: Any) -> tuple[int, int | None] | None:
        for obj, index, k in reversed(self.produced):
            if obj is value and not isinstance(value, (int, float, str, bool, type(None))):
                return index, k
        return None


def _snapshot(value: Any) -> Any:
    return value.copy() if isinstance(value, np.ndarray) else value


class RecordedObject:
    """An estimator returned by a component; its public methods' calls are logged."""

    def __init__(self, obj: Any, log: CallLog, index: int, component: str):
        object.__setattr__(self, "_nncheck_obj", obj)
        object.__setattr__(self, "_nncheck_log", log)
        object.__setattr__(self, "_nncheck_index", index)
        object.__setattr__(self, "_nncheck_component", component)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._nncheck_obj, name)
        if name.startswith("_") or not callable(value):
            return value
        return _RecordedMethod(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._nncheck_obj, name, value)

    def __repr__(self) -> str:
        return repr(self._nncheck_obj)

    @property
    def _nncheck_description(self) -> str:
        inner = self._nncheck_obj
        return getattr(inner, "_nncheck_description", None) or repr(inner)

    @property
    def _nncheck_handle(self):
        return getattr(self._nncheck_obj, "_nncheck_handle", None)


class _RecordedMethod:
    """A method of a :class:`RecordedObject`: logs the call, then makes it."""

    def __init__(self, owner: RecordedObject, name: str, method):
        self.owner, self.name, self.method = owner, name, method
        if hasattr(method, "call_remote"):
            self.call_remote = self._call_remote
        if hasattr(method, "call_many_remote"):
            self.call_many_remote = self._call_many_remote

    def _log(self, args: tuple, kwargs: dict) -> tuple[tuple, dict, int]:
        args = tuple(_unwrap(a) for a in args)
        kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        owner = self.owner
        index = owner._nncheck_log.begin(owner._nncheck_component, self.name,
                                         owner._nncheck_index, args, kwargs)
        return args, kwargs, index

    def _result(self, result: Any, index: int) -> Any:
        if result is self.owner._nncheck_obj:  # fit() returning self
            return self.owner
        self.owner._nncheck_log.produced_by(index, result)
        return result

    def __call__(self, *args, **kwargs):
        args, kwargs, index = self._log(args, kwargs)
        return self._result(self.method(*args, **kwargs), index)

    def _call_remote(self, args: tuple, kwargs: dict, label: str):
        args, kwargs, index = self._log(args, kwargs)
        return self._result(self.method.call_remote(args, kwargs, label), index)

    def _call_many_remote(self, calls: list[tuple[tuple, dict]], label: str) -> list:
        logged = [self._log(args, kwargs) for args, kwargs in calls]
        results = self.method.call_many_remote([(a, k) for a, k, _ in logged], label)
        return [self._result(r, index) for r, (_, _, index) in zip(results, logged, strict=True)]


def _unwrap(value: Any) -> Any:
    return value._nncheck_obj if isinstance(value, RecordedObject) else value


class RecordingImplementation(Implementation):
    """The implementation under test, logging each call into a :class:`CallLog`."""

    def __init__(self, inner: Implementation, log: CallLog):  # noqa: D107 -- shares inner's state
        self.__dict__.update(inner.__dict__)
        self.inner = inner
        self.log = log

    def __repr__(self) -> str:
        return repr(self.inner)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        args = tuple(_unwrap(a) for a in args)
        kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        index = self.log.begin(name, None, None, args, kwargs)
        result = self.inner.call(name, *args, **kwargs)
        if COMPONENTS[name].kind == "estimator" and result is not None:
            return RecordedObject(result, self.log, index, name)
        self.log.produced_by(index, result)
        return result

    def call_many(self, name: str, calls: list[tuple[tuple, dict]]) -> list[Any]:
        indices = [self.log.begin(name, None, None, tuple(a), k) for a, k in calls]
        results = self.inner.call_many(name, calls)
        for index, result in zip(indices, results, strict=True):
            self.log.produced_by(index, result)
        return results

    def iterate(self, name: str, args: tuple, steps: int, feeds=(), *, each=None, kwargs=None,
                attempted: list[tuple] | None = None) -> list[Any]:
        kwargs = dict(kwargs or {})
        tried = _LoggedCalls(self.log, name, kwargs)
        results: list[Any] = []
        try:
            results = self.inner.iterate(name, tuple(_unwrap(a) for a in args), steps, feeds,
                                         each=each, kwargs=kwargs, attempted=tried)
        finally:  # the failing call is logged too, and what each call produced
            for index, result in zip(tried.indices, results, strict=False):
                self.log.produced_by(index, result)
            if attempted is not None:
                attempted.extend(tried)
        return results


class _LoggedCalls(list):
    """The ``attempted`` list of an iterate: each call is logged as its arguments are made
    (before the call, as :meth:`RecordingImplementation.call` logs one)."""

    def __init__(self, log: CallLog, name: str, kwargs: dict):
        super().__init__()
        self.log, self.name, self.kwargs, self.indices = log, name, kwargs, []

    def append(self, args: tuple) -> None:
        super().append(args)
        self.indices.append(self.log.begin(self.name, None, None, args, self.kwargs))
