"""The object every property talks to: an implementation under test.

An adapter (``nncheck.adapters``) turns a library, a module or a file into an
:class:`Implementation`: a name, a version, one callable per contract component it
provides, and the conventions it declares. Properties never call library code directly;
they call :meth:`Implementation.call`, which checks inputs and outputs
(:mod:`nncheck.runtime.calling`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncheck.compare import Bound
from nncheck.contract import COMPONENTS, component
from nncheck.errors import ComponentNotImplemented
from nncheck.runtime.calling import call_checked
from nncheck.stats import DrawnFrom

DEVIATION_KINDS = ("mapped", "expected-failure", "refusal")


@dataclass(frozen=True)
class Deviation:
    """A difference from the contract that an adapter declares, with its reason.

    ``kind="mapped"``: the adapter converts the library's convention to the contract's;
    invariants of the component that pass are reported as *deviation*, showing the reason.
    ``kind="expected-failure"``: the library cannot be mapped; a failure of the named
    invariant is reported as *deviation* instead of *failed* (a pass is still a pass).
    ``kind="refusal"``: the library documents that it refuses the inputs of the named
    invariant (an edge regime of its own, e.g. a batch of one row) and raises; that error
    is reported as *deviation* (a pass is a pass, and a wrong answer still fails).
    ``invariant="*"`` covers every invariant of the component.

    An expected failure states its ``bound``: how large a difference the library's
    convention explains, for an invariant that compares arrays (:class:`nncheck.compare.Bound`,
    a tolerance), or the distribution the library draws from, for a statistical one
    (:class:`nncheck.stats.DrawnFrom`). The invariant then runs with that bound in force
    (every example, not only the shrunk one): differences within it make the verdict
    *deviation*, one beyond it is a failure.
    """

    component: str
    reason: str
    invariant: str = "*"
    kind: str = "mapped"
    bound: Bound | DrawnFrom | None = None

    def __post_init__(self):
        if self.kind not in DEVIATION_KINDS:
            raise ValueError(f"Deviation.kind must be one of {', '.join(DEVIATION_KINDS)}, "
                             f"not {self.kind!r}")
        if self.bound is not None and self.kind != "expected-failure":
            raise ValueError("only an expected-failure deviation has a bound")
        component(self.component)  # unknown component names fail loudly

    @staticmethod
    def bound_from_dict(found: dict | None) -> Bound | DrawnFrom | None:
        """The bound that :meth:`as_dict` described (``bound``), or None."""
        if found is None:
            return None
        return DrawnFrom(**found) if "family" in found else Bound(**found)

    def covers(self, comp: str, invariant: str) -> bool:
        return self.component == comp and self.invariant in ("*", invariant)

    def as_dict(self) -> dict:
        found = {"component": self.component, "invariant": self.invariant,
                 "kind": self.kind, "reason": self.reason}
        if self.bound is not None:
            found["bound"] = self.bound.as_dict()
        return found


class Implementation:
    """A named set of component callables, plus the deviations its adapter declares.

    ``not_written`` names the functions of the user's file that are still a stub or the
    course skeleton (:mod:`nncheck.adapters.stubs`), which the adapter left out;
    ``why_absent`` says, per component left out that way, why (a message naming the
    user's function), for its not-implemented verdicts. ``conventions`` are the
    ``--convention`` values the adapter resolved, declared or detected (e.g. the course
    adapter's ``linear_reg``): report.json records them (``implementation.conventions``) so
    that a re-run or a repro script loads the implementation the same way. ``user_calls``
    says, per component the adapter calls under another name or convention, how it calls
    the user's function (a template of :mod:`nncheck.usercalls`), so failures name that
    function as written.
    """

    def __init__(
        self,
        name: str,
        functions: Mapping[str, Callable],
        *,
        version: str = "",
        source: str = "",
        deviations: Iterable[Deviation] = (),
        not_written: Iterable[str] = (),
        why_absent: Mapping[str, str] | None = None,
        conventions: Mapping[str, str] | None = None,
        user_calls: Mapping[str, str] | None = None,
    ):
        unknown = sorted(set(functions) - set(COMPONENTS))
        if unknown:
            raise ValueError(f"{name}: not contract components: {', '.join(unknown)}")
        self.name = name
        self.version = version
        self.source = source
        self.functions = dict(functions)
        self.deviations = tuple(deviations)
        self.not_written = sorted(set(not_written))
        self.why_absent = {c: why for c, why in (why_absent or {}).items()
                           if c not in self.functions}
        self.conventions = {str(k): str(v) for k, v in (conventions or {}).items()}
        # component -> how the adapter calls the user's function (nncheck.usercalls)
        self.user_calls = {c: call for c, call in (user_calls or {}).items()
                           if c in self.functions}

    def __repr__(self) -> str:  # short: it appears in Hypothesis' falsifying examples
        return f"<implementation {self.name}>"

    def has(self, name: str) -> bool:
        return name in self.functions

    def raw(self, name: str) -> Callable:
        """The bare callable for ``name`` (no checks); raises ComponentNotImplemented."""
        component(name)
        try:
            return self.functions[name]
        except KeyError:
            raise ComponentNotImplemented(name, self.name) from None

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call component ``name`` with input and output checks (see nncheck.runtime.calling)."""
        return call_checked(component(name), self.raw(name), args, kwargs, f"{self.name}.{name}")

    def call_many(self, name: str, calls: list[tuple[tuple, dict]]) -> list[Any]:
        """``[self.call(name, *args, **kwargs) for args, kwargs in calls]``, in one go.

        For properties that call a component many times with inputs known in advance (the
        initializers' pooled samples): an implementation in another process answers them
        all in one round trip. The first call that fails raises, as it would in the loop.
        """
        return [self.call(name, *args, **kwargs) for args, kwargs in calls]

    def along(self, name: str, args: tuple, at: int, *, kwargs: Mapping[str, Any] | None = None,
              output: Callable[[Any], Any] | None = None) -> Along:
        """Component ``name`` as a function of its argument ``at``, for a gradient check.

        ``f = impl.along("softmax_loss", (scores, y), 0)`` gives ``f(s)``, the loss (the
        first output, or ``output(result)``) at scores ``s`` with the other arguments as
        given; ``f.many`` answers several points with one :meth:`call_many`, which
        :mod:`nncheck.gradcheck` uses for the points it knows it needs.
        """
        return Along(self, name, tuple(args), at, dict(kwargs or {}), output or _first)

    def iterate(self, name: str, args: tuple, steps: int, feeds: Iterable[Feed] = (), *,
                each: Mapping[int, Sequence] | None = None,
                kwargs: Mapping[str, Any] | None = None,
                attempted: list[tuple] | None = None) -> list[Any]:
        """``steps`` calls of ``name``, each fed by the one before; every result, in order.

        The first call gets ``args``; each next one the last one's arguments with every
        :class:`Feed` applied: running statistics fed back into the next update, a weight
        moved by its gradient. ``each[i][k]``, when given, is argument ``i`` of call ``k``
        (a new batch per update). See :func:`chain_args`. An implementation in another
        process runs the whole chain in one round trip. Each result is checked as
        :meth:`call` checks it, and the first call that fails raises, as it would in the
        loop. ``attempted``, when given, receives the arguments of every call made.
        """
        kwargs, feeds, each = dict(kwargs or {}), tuple(feeds), dict(each or {})
        results: list[Any] = []
        for k in range(steps):
            args = chain_args(args, results[-1] if results else None, feeds, each, k)
            if attempted is not None:
                attempted.append(args)
            results.append(self.call(name, *args, **kwargs))
        return results

    def absent_reason(self, names: Iterable[str]) -> str:
        """Why the components ``names`` (absent) are not implemented, in one line."""
        reasons = dict.fromkeys(self.why_absent.get(n, "") for n in names)
        lacking = [n for n in names if n not in self.why_absent]
        if lacking:
            reasons[f"{self.name} lacks {', '.join(lacking)}"] = None
        return "; ".join(r for r in reasons if r)

    def deviation_for(self, comp: str, invariant: str) -> Deviation | None:
        """The deviation declared for this invariant: one naming it, else the component's."""
        covering = [d for d in self.deviations if d.covers(comp, invariant)]
        return next((d for d in covering if d.invariant == invariant),
                    covering[0] if covering else None)

    def describe(self) -> dict[str, Any]:
        """The implementation block of report.json."""
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "components": sorted(self.functions),
            "deviations": [d.as_dict() for d in self.deviations],
            "not_written": list(self.not_written),
            "conventions": dict(self.conventions),
        }


@dataclass(frozen=True)
class Feed:
    """How one argument of the next call in :meth:`Implementation.iterate` is made:
    ``keep * argument + scale * output + shift``, where ``output`` is the last result's
    item ``output`` (the whole result when None). ``Feed(0, 0)`` passes output 0 on as
    argument 0 unchanged; ``Feed(1, 0, scale=-lr, keep=1)`` is a gradient-descent step.
    """

    output: int | None
    to: int
    scale: float = 1.0
    keep: float = 0.0
    shift: Any = 0.0

    def value(self, args: tuple, result: Any) -> Any:
        new = result if self.output is None else result[self.output]
        # Only the terms given are computed, so a pass-through stays the very same value.
        if self.scale != 1:
            new = self.scale * np.asarray(new)
        if np.any(np.not_equal(self.shift, 0)):
            new = new + self.shift
        if self.keep != 0:
            new = (args[self.to] if self.keep == 1 else self.keep * args[self.to]) + new
        return new


def chain_args(args: tuple, previous: Any, feeds: Iterable[Feed], each: Mapping[int, Sequence],
               k: int) -> tuple:
    """The arguments of call ``k`` of :meth:`Implementation.iterate`, where ``args`` were
    those of call ``k - 1`` and ``previous`` its result (for ``k = 0``: the first ones)."""
    new = list(args)
    if k:
        for feed in feeds:
            new[feed.to] = feed.value(args, previous)
    for i, values in each.items():
        new[i] = values[k]
    return tuple(new)


def _first(result: Any) -> Any:
    return result[0]


@dataclass(frozen=True)
class Along:
    """See :meth:`Implementation.along`."""

    impl: Implementation
    name: str
    args: tuple
    at: int
    kwargs: dict
    output: Callable[[Any], Any]

    def _args(self, value) -> tuple:
        return (*self.args[:self.at], value, *self.args[self.at + 1:])

    def __call__(self, value) -> Any:
        return self.output(self.impl.call(self.name, *self._args(value), **self.kwargs))

    def many(self, points: list[list]) -> list[Any]:
        """``[self(*point) for point in points]`` in one call_many (a point is ``[value]``)."""
        results = self.impl.call_many(self.name, [(self._args(value), self.kwargs)
                                                  for (value,) in points])
        return [self.output(result) for result in results]
