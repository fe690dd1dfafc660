"""Put each checker process and its implementation process on one CPU.

Every call across the boundary (:mod:`nncheck.runtime.boundary`) wakes the other process
and waits for its answer. When the two sit on different CPUs, each wake-up costs an
interrupt between CPUs, which on a virtual machine is slow: a one-byte pipe round trip
between two processes took about 100 µs on the 2-core CI machine, and 7 µs with both
on the same CPU. A call is synchronous, so the two processes never both want to run:
sharing one CPU costs them no parallelism. The implementation process inherits its
checker's CPU when it is started (child processes inherit their parent's affinity).

Only runs that ``nncheck check`` (or :func:`nncheck.api.check`) starts are pinned, with
``--nncheck-pin``: the pytest-xdist worker number ``k`` takes the ``k``-th allowed CPU
(round robin when there are more workers than CPUs), a run without workers takes the
first. A run inside somebody's own pytest session is never pinned, and the process's
earlier affinity comes back when the run ends. ``NNCHECK_PIN=0`` makes ``nncheck check``
leave the CPUs alone (for an implementation that wants several threads, say).
"""

from __future__ import annotations

import os


def can_pin() -> bool:
    """Whether this platform lets a process choose its CPUs (Linux does; macOS does not)."""
    return hasattr(os, "sched_getaffinity") and hasattr(os, "sched_setaffinity")


def cpu_for(worker_index: int) -> int | None:
    """The CPU for checker process ``worker_index`` among those this process may use."""
    if not can_pin():
        return None
    allowed = sorted(os.sched_getaffinity(0))
    return allowed[worker_index % len(allowed)] if allowed else None


def pin(worker_index: int) -> set[int] | None:
    """Pin this process to its CPU; return the affinity it had (None: nothing changed)."""
    cpu = cpu_for(worker_index)
    if cpu is None:
        return None
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {cpu})
    except OSError:  # a container's cpuset can refuse; the run goes on unpinned
        return None
    return before


def restore(before: set[int] | None) -> None:
    """Give this process back the affinity :func:`pin` took away."""
    if before is not None:
        try:
            os.sched_setaffinity(0, before)
        except OSError:
            pass


def worker_index(workerid: str | None) -> int:
    """pytest-xdist names its workers gw0, gw1, ...; no worker counts as number 0."""
    digits = (workerid or "").lstrip("gw")
    return int(digits) if digits.isdigit() else 0
