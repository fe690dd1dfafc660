"""Arguments that report how the implementation used them, across the boundary.

A property sometimes needs to see *how* an implementation reads an input, not only what
it returns (e.g. that a hierarchical softmax reads only its labels' paths). It passes a
:class:`Probe`: the implementation process sends each probe's :meth:`~Probe.probe_state`
back with the reply, and the checker's copy takes it with :meth:`~Probe.probe_update`, so
the property reads its probe as if the call had been made in its own process.
"""

from __future__ import annotations

from collections.abc import Sequence


class Probe:
    """Base class of arguments whose state travels back from the implementation process."""

    def probe_state(self):
        raise NotImplementedError

    def probe_update(self, state) -> None:
        raise NotImplementedError


def find_probes(value) -> list[Probe]:
    """The probes inside ``value`` (through tuples, lists and dicts), in a fixed order."""
    if isinstance(value, Probe):
        return [value]
    if type(value) in (tuple, list):
        return [p for v in value for p in find_probes(v)]
    if type(value) is dict:
        return [p for v in value.values() for p in find_probes(v)]
    return []


class Counter:
    """A count shared by several probes."""

    def __init__(self) -> None:
        self.count = 0


class CountingSequence(Sequence, Probe):
    """A read-only sequence that counts the items read from it into a shared Counter."""

    def __init__(self, items, counter: Counter):
        self._items = list(items)
        self._counter = counter

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):
        item = self._items[index]
        self._counter.count += len(item) if isinstance(index, slice) else 1
        return item

    def __repr__(self) -> str:
        return f"path{self._items}"

    def probe_state(self) -> int:
        return self._counter.count

    def probe_update(self, state) -> None:
        if type(state) is not int or state < 0:
            raise ValueError(f"a counting probe came back with {state!r}")
        self._counter.count = state
