"""The boundary between the checker and the code under test.

The checker (Hypothesis, the properties, verdicts, reports, the controller) never imports
the implementation. :func:`connect` starts an implementation process
(:mod:`nncheck.runtime.server`) that loads it, and returns a :class:`RemoteImplementation`:
an ordinary :class:`~nncheck.implementation.Implementation` whose functions cross the
boundary, so a property calling ``impl.call(...)`` cannot tell where the code runs.

This module owns every limit on the implementation process (:class:`Limits`): wall time per
invariant, memory, number of processes and CPU time, each ending in an
:class:`~nncheck.errors.ImplementationFault` whose message names the cause; a crash (a
segfault, ``os._exit``) is one too. After a fault the process is killed with everything it
started and a fresh one serves the next invariant. Objects the implementation returns that
are not plain data (caches, estimators) stay in its process; the checker holds a
:class:`RemoteObject` for each.
"""

from __future__ import annotations

import atexit
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from typing import Any

from nncheck.errors import ContractViolation, ImplementationFault, ImplementationRaised, UsageError
from nncheck.implementation import Deviation, Implementation, chain_args
from nncheck.runtime.probes import find_probes
from nncheck.runtime.wire import Arena, Handle, Timeout, WireError, read_frame, write_frame

GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Resource limits of the implementation process (``nncheck check`` options).

    ``timeout``: wall seconds per invariant; ``memory``: bytes of resident memory of the
    implementation and every process it starts; ``processes``: how many processes it may
    run at once (itself included); ``cpu``: CPU seconds per invariant.
    """

    timeout: float = 120.0
    memory: int = 4 * GiB
    processes: int = 32
    cpu: float = 240.0

    def __post_init__(self):
        for name, option in (("timeout", "--timeout"), ("memory", "--max-memory"),
                             ("processes", "--max-processes"), ("cpu", "--max-cpu")):
            value = getattr(self, name)
            if not value > 0 or value == float("inf"):  # also NaN
                raise UsageError(f"{option} must be a positive, finite number, got {value!r}")
        if self.processes < 2:
            raise UsageError("--max-processes must be at least 2 (the implementation's own "
                             "process and one more)")


# ------------------------------------------------------------------ watching a session

def _session_members(sid: int) -> list[tuple[int, int, int]]:
    """(pid, cpu ticks, rss pages) of every process in session ``sid`` (Linux /proc)."""
    found = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                text = handle.read()
        except OSError:
            continue
        fields = text[text.rfind(b")") + 2:].split()
        if len(fields) > 21 and int(fields[3]) == sid and fields[0] != b"Z":
            found.append((int(entry), int(fields[11]) + int(fields[12]), int(fields[21])))
    return found


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_HAS_PROC = os.path.isdir("/proc/self")


def _set_parent_death_signal() -> None:  # pragma: no cover - runs in the child
    """In the child before exec: die with the checker (Linux), never outlive it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


# ------------------------------------------------------------------ the process

class ImplementationProcess:
    """One implementation process and the pipes to it; restarted after every fault."""

    def __init__(self, spec: str, options: dict, limits: Limits):
        self.spec, self.options, self.limits = spec, dict(options), limits
        self.proc: subprocess.Popen | None = None
        self.generation = 0
        self.description: dict | None = None
        self.deadline: float | None = None  # end of the current invariant's time
        self.fault: ImplementationFault | None = None  # sticky within an invariant
        self._cpu_start: int | None = None
        self._log = None
        self._objects: weakref.WeakValueDictionary[int, RemoteObject] = weakref.WeakValueDictionary()
        self._released: list[int] = []  # keys of RemoteObjects collected since the last request
        self.arenas: tuple[Arena | None, Arena | None] = (None, None)

    # -- life cycle --
    def start(self) -> None:
        """Spawn the process (it loads the implementation while the caller goes on)."""
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self._log = tempfile.TemporaryFile(prefix="nncheck-impl-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
        # The implementation imports what the checker could import (its sys.path as now).
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in sys.path if p))
        self._close_arenas()
        requests, replies = Arena.create(), Arena.create()
        self.arenas = (requests, replies) if requests and replies else (None, None)
        arena_fds = [a.fd for a in self.arenas if a is not None]
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nncheck.runtime.server", str(to_child_r),
                 str(from_child_w), *map(str, arena_fds)],
                pass_fds=(to_child_r, from_child_w, *arena_fds), stdin=subprocess.DEVNULL,
                stdout=self._log, stderr=self._log, start_new_session=True, env=env,
                preexec_fn=_set_parent_death_signal if sys.platform == "linux" else None)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.wfd, self.rfd = to_child_w, from_child_r
        os.set_blocking(self.wfd, False)
        os.set_blocking(self.rfd, False)
        self._poller = select.poll()
        self._poller.register(self.rfd, select.POLLIN | select.POLLHUP | select.POLLERR)
        self.generation += 1
        self._objects = weakref.WeakValueDictionary()
        self._released = []
        write_frame(self.wfd, (self.spec, self.options), time.monotonic() + 30)
        _LIVE.add(self)

    def handshake(self) -> dict:
        """The implementation's description once it is loaded; UsageError if it cannot be."""
        if self.proc is None:
            self.start()
        deadline = time.monotonic() + max(self.limits.timeout, 60.0)
        try:
            reply = self._receive(deadline, label=f"loading {self.spec}")
        except ImplementationFault as fault:
            self.stop()
            raise UsageError(f"cannot load implementation {self.spec!r}: {fault}") from None
        if not (isinstance(reply, tuple) and len(reply) == 2 and reply[0] in ("ready", "load-error")):
            self.stop()
            raise UsageError(f"cannot load implementation {self.spec!r}: its process sent "
                             "something other than a description")
        if reply[0] == "load-error":
            self.stop()
            raise UsageError(str(reply[1]))
        self.description = _validated_description(reply[1], self.spec)
        return self.description

    def stop(self) -> None:
        """Kill the process and everything it started."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for fd in (self.wfd, self.rfd):
            try:
                os.close(fd)
            except OSError:
                pass
        _kill_session(proc.pid)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._close_arenas()
        _LIVE.discard(self)

    def _close_arenas(self) -> None:
        for arena in getattr(self, "arenas", (None, None)):
            if arena is not None:
                arena.map.close()
                os.close(arena.fd)
        self.arenas = (None, None)

    def _ensure_running(self) -> None:
        if self.proc is None:
            self.start()
            description = self.handshake()
            if self.description is not None and description != self.description:
                raise ImplementationFault("protocol", "the implementation changed between two "
                                          "loads of its process")

    # -- invariants --
    def begin_invariant(self) -> None:
        """A new invariant: a fresh time budget, no handles from the last one, and the
        implementation's global random generators reseeded (server.reseed_global_generators)."""
        self.fault = None
        self.deadline = time.monotonic() + self.limits.timeout
        self._cpu_start = None
        if self.proc is not None and self.proc.poll() is None:  # and reseed its global RNGs
            self._objects = weakref.WeakValueDictionary()
            self._released = []
            try:
                self.request(("reset",), "reset")
            except ImplementationFault:
                self.fault = None
                self.stop()
        self._cpu_start = self._cpu_ticks() if self.proc is not None else 0

    def end_invariant(self) -> None:
        """Kill processes the implementation left behind; the deadline is over."""
        self.deadline = None
        if self.proc is not None and _HAS_PROC:
            members = _session_members(self.proc.pid)
            for pid, _, _ in members:
                if pid != self.proc.pid:
                    _kill(pid)

    # -- requests --
    def request(self, message: tuple, label: str):
        """Send one request and return the reply (an ImplementationFault on a fault)."""
        if self.fault is not None:
            raise self.fault
        self._ensure_running()
        deadline = self.deadline or (time.monotonic() + self.limits.timeout)
        released, self._released = self._released, []
        try:
            write_frame(self.wfd, (released, message), deadline, arena=self.arenas[0])
        except Timeout:
            self._fail("timeout", self._timeout_text(label))
        except (BrokenPipeError, OSError):
            self._fail("crashed", self._crash_text(label))
        return self._receive(deadline, label)

    def request_many(self, head: tuple, calls: list[tuple[tuple, dict]], label: str) -> list:
        """Send ``head + (calls,)`` ("many" or "methods") and return each call's value; the
        first call that failed raises its verdict, as it would have in a loop."""
        reply = self.request((*head, [(self.export(tuple(a)), self.export(k)) for a, k in calls]),
                             label)
        values = [self.outcome(one, label, (args, kwargs))
                  for one, (args, kwargs) in zip(self.replies(reply, len(calls), label), calls,
                                                 strict=False)]
        if len(values) < len(calls):
            self._fail("protocol", f"{label}: the implementation process answered "
                                   f"{len(values)} of {len(calls)} calls")
        return values

    def replies(self, reply, most: int, label: str) -> list:
        """The replies of a "many" answer (1 to ``most`` of them); else its verdict raises."""
        if not (isinstance(reply, tuple) and len(reply) == 2 and reply[0] == "many"
                and isinstance(reply[1], list) and 0 < len(reply[1]) <= most):
            self.outcome(reply, label)  # a "raised" reply, or a protocol fault
            self._fail("protocol", f"{label}: the implementation process sent a malformed reply")
        return reply[1]

    def _receive(self, deadline: float, label: str):
        poller = self._poller
        pause = 0.02
        while True:
            now = time.monotonic()
            if poller.poll(max(0.0, min(pause, deadline - now)) * 1000):
                break
            self._watch(label)
            if time.monotonic() >= deadline:
                self._fail("timeout", self._timeout_text(label))
            pause = min(pause * 2, 0.25)
        try:
            return read_frame(self.rfd, deadline + 5, trusted=False, max_bytes=self.limits.memory,
                              arena=self.arenas[1])
        except EOFError:
            self._fail("crashed", self._crash_text(label))
        except Timeout:
            self._fail("protocol", f"{label}: the implementation process began a reply and "
                                   "did not finish it")
        except WireError as exc:
            self._fail("protocol", f"{label}: {exc}")

    def _watch(self, label: str) -> None:
        """Between waits for a slow reply: enforce memory, process and CPU limits."""
        if not _HAS_PROC or self.proc is None:
            return
        members = _session_members(self.proc.pid)
        limits = self.limits
        if len(members) > limits.processes:
            self._fail("processes", f"{label}: the implementation started more than "
                                    f"{limits.processes - 1} processes (--max-processes "
                                    f"{limits.processes}); all of them were killed")
        rss = sum(m[2] for m in members) * _PAGE
        if rss > limits.memory:
            self._fail("memory", f"{label}: the implementation used {rss / GiB:.2f} GiB of "
                                 f"memory, over the limit of {limits.memory / GiB:g} GiB "
                                 "(--max-memory)")
        if self._cpu_start is not None:
            cpu = (sum(m[1] for m in members) - self._cpu_start) / _TICKS
            if cpu > limits.cpu:
                self._fail("cpu", f"{label}: the implementation used {cpu:.0f} s of CPU time in "
                                  f"this invariant, over the limit of {limits.cpu:g} s (--max-cpu)")

    def _cpu_ticks(self) -> int:
        if not _HAS_PROC or self.proc is None:
            return 0
        return sum(m[1] for m in _session_members(self.proc.pid))

    def _fail(self, cause: str, message: str):
        self.fault = ImplementationFault(cause, message)
        self.stop()
        raise self.fault

    def _timeout_text(self, label: str) -> str:
        return (f"{label}: the implementation hung: this invariant did not finish within "
                f"the {self.limits.timeout:g} s time limit (--timeout)")

    def _crash_text(self, label: str) -> str:
        proc = self.proc
        status = None
        if proc is not None:
            try:
                status = proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                status = None
        tail = self._log_tail()
        fatal = next((line for line in reversed(tail) if line.startswith("Fatal Python error")),
                     None)
        if fatal:
            how = f"crashed the interpreter ({fatal.rstrip('.')})"
        elif status is not None and status < 0:
            how = f"was killed by signal {signal.Signals(-status).name}"
        elif status is not None:
            how = f"ended its process with exit status {status} (e.g. os._exit or sys.exit at exit)"
        else:
            how = "closed its end of the boundary"
        return f"{label}: the implementation process {how}"

    def _log_tail(self) -> list[str]:
        if self._log is None:
            return []
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - 8192))
            return self._log.read().decode("utf-8", "replace").splitlines()
        except (OSError, ValueError):
            return []

    # -- values --
    def export(self, value):
        """A request argument: RemoteObjects become their handles."""
        if isinstance(value, RemoteObject):
            if value._nncheck_generation != self.generation:
                raise ImplementationRaised("an object from an earlier implementation process "
                                           "(it was restarted) was passed back to it")
            return value._nncheck_handle
        kind = type(value)
        if kind in (tuple, list):
            return kind(self.export(v) for v in value)
        if kind is dict:
            return {k: self.export(v) for k, v in value.items()}
        return value

    def adopt(self, value, label: str):
        """A reply value: handles become RemoteObjects (the same one for the same object)."""
        if isinstance(value, Handle):
            proxy = self._objects.get(value.key)
            if proxy is None:
                if value.key in self._released:  # collected here, but sent back again
                    self._released.remove(value.key)
                proxy = RemoteObject(self, value, label)
                self._objects[value.key] = proxy
            return proxy
        kind = type(value)
        if kind in (tuple, list):
            return kind(self.adopt(v, label) for v in value)
        if kind is dict:
            return {k: self.adopt(v, label) for k, v in value.items()}
        return value

    def outcome(self, reply, label: str, sent: tuple = ()):
        """Turn a reply into a value or the exception that carries its verdict.

        ``sent`` holds the request's arguments: probes among them take the state the
        implementation process reports (see nncheck.runtime.probes).
        """
        if not isinstance(reply, tuple) or not reply:
            self._fail("protocol", f"{label}: the implementation process sent a malformed reply")
        kind = reply[0]
        if kind == "ok" and len(reply) == 2:
            return self.adopt(reply[1], label)
        if kind == "ok" and len(reply) == 3:
            probes = find_probes(sent)
            if not isinstance(reply[2], list) or len(reply[2]) != len(probes):
                self._fail("protocol", f"{label}: the implementation process sent a malformed reply")
            for probe, state in zip(probes, reply[2], strict=True):
                probe.probe_update(state)
            return self.adopt(reply[1], label)
        if kind == "raised" and len(reply) == 4:
            _, name, text, not_implemented = reply
            if not_implemented:
                from nncheck.runtime.calling import skip_not_implemented

                skip_not_implemented(label, text)
            if name == "nncheck":
                raise ImplementationRaised(f"{label}: {text}")
            raise ImplementationRaised(f"{label} raised {name}: {text}")
        if kind == "mutated" and len(reply) == 2:
            raise ContractViolation(f"{label} mutated its input ({reply[1]}); inputs must be "
                                    "left as given")
        if kind == "missing" and len(reply) == 1:
            return _MISSING
        if kind == "callable" and len(reply) == 1:
            return _CALLABLE
        self._fail("protocol", f"{label}: the implementation process sent a malformed reply")


def _validated_description(description, spec: str) -> dict:
    keys = {"name": str, "version": str, "source": str, "components": list, "deviations": list,
            "not_written": list, "why_absent": dict}
    if not isinstance(description, dict) or any(
            not isinstance(description.get(k), t) for k, t in keys.items()) or not (
            _short_strings(description["not_written"])
            and _short_strings(description["why_absent"])
            and _short_strings(description["why_absent"].values(), 2000)
            and isinstance(description.get("conventions", {}), dict)
            and _short_strings(description.get("conventions", {}))
            and _short_strings(description.get("conventions", {}).values(), 2000)
            and isinstance(description.setdefault("user_calls", {}), dict)
            and _short_strings(description["user_calls"])
            and _short_strings(description["user_calls"].values(), 400)):
        raise UsageError(f"cannot load implementation {spec!r}: its process sent a malformed "
                         "description")
    return description


def _deviation(d: dict) -> Deviation:
    """The Deviation an implementation process described (Deviation.as_dict)."""
    try:
        return Deviation(**{**d, "bound": Deviation.bound_from_dict(d.get("bound"))})
    except (TypeError, ValueError) as e:
        raise UsageError(f"the implementation process described a malformed deviation: {e}") from None


def _short_strings(items, longest: int = 200, most: int = 1000) -> bool:
    """At most ``most`` strings of at most ``longest`` characters (names, messages)."""
    items = list(items)
    return len(items) <= most and all(isinstance(i, str) and len(i) <= longest for i in items)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_session(sid: int) -> None:
    """SIGKILL the session ``sid`` (the implementation process and all it started)."""
    for _ in range(100):
        try:
            os.killpg(sid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if not _HAS_PROC:
            return
        members = [m for m in _session_members(sid) if m[0] != os.getpid()]
        if not members:
            return
        for pid, _, _ in members:
            _kill(pid)
        time.sleep(0.005)


_LIVE: set[ImplementationProcess] = set()
_MISSING, _CALLABLE = object(), object()  # replies to "getattr" that carry no value


@atexit.register
def _stop_all() -> None:
    for process in list(_LIVE):
        process.stop()


# ------------------------------------------------------------------ the checker's view

class RemoteFunction:
    """A component of the implementation, called across the boundary."""

    guarded_elsewhere = True  # the implementation process checks mutation and exceptions

    def __init__(self, process: ImplementationProcess, component: str):
        self.process, self.component = process, component

    def __call__(self, *args, **kwargs):
        return self.call_remote(args, kwargs, self.component)

    def call_remote(self, args: tuple, kwargs: dict, label: str):
        process = self.process
        reply = process.request(("call", self.component, process.export(args),
                                 process.export(kwargs)), label)
        return process.outcome(reply, label, (args, kwargs))

    def __repr__(self) -> str:
        return f"<{self.component} in the implementation process>"


class RemoteObject:
    """An object that lives in the implementation process (an estimator, a cache).

    Public attributes are read and methods called across the boundary; the implementation
    process guards each method call as it guards a component.
    """

    def __init__(self, process: ImplementationProcess, handle: Handle, label: str):
        object.__setattr__(self, "_nncheck_process", process)
        object.__setattr__(self, "_nncheck_handle", handle)
        object.__setattr__(self, "_nncheck_label", label)
        object.__setattr__(self, "_nncheck_generation", process.generation)

    @property
    def _nncheck_description(self) -> str:
        """What the object is, for a message (asked of the implementation process once)."""
        handle = self._nncheck_handle
        if handle.description:
            return handle.description
        process = self._nncheck_process
        text = handle.type_name
        if self._nncheck_generation == process.generation and process.fault is None:
            try:
                reply = process.request(("describe", handle.key), "describe")
                if isinstance(reply, tuple) and len(reply) == 2 and isinstance(reply[1], str):
                    text = reply[1][:300]
            except (ImplementationFault, ImplementationRaised):
                pass
        object.__setattr__(self, "_nncheck_handle", Handle(handle.key, handle.type_name, text,
                                                           handle.methods))
        return text

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in self._nncheck_handle.methods:  # a method of its class: no round trip
            return RemoteMethod(self, name)
        process, label = self._nncheck_process, f"{self._nncheck_label}.{name}"
        self._check_generation(label)
        reply = process.outcome(process.request(("getattr", self._nncheck_handle.key, name),
                                                label), label)
        if reply is _MISSING:
            raise AttributeError(f"{self._nncheck_handle.type_name} has no attribute {name!r}")
        if reply is _CALLABLE:
            return RemoteMethod(self, name)
        return reply

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError("objects of the implementation cannot be changed from the checker")

    def __del__(self):
        try:
            process = self._nncheck_process
            if self._nncheck_generation == process.generation and process.proc is not None:
                process._released.append(self._nncheck_handle.key)
        except Exception:  # interpreter shutdown
            pass

    def _check_generation(self, label: str) -> None:
        if self._nncheck_generation != self._nncheck_process.generation:
            raise ImplementationRaised(f"{label}: the object is gone (its implementation "
                                       "process was restarted)")

    def __repr__(self) -> str:
        return f"<{self._nncheck_handle.type_name} in the implementation process>"


class RemoteMethod:
    """A method of a :class:`RemoteObject`."""

    guarded_elsewhere = True

    def __init__(self, owner: RemoteObject, name: str):
        self.owner, self.name = owner, name

    def __call__(self, *args, **kwargs):
        return self.call_remote(args, kwargs, f"{self.owner._nncheck_label}.{self.name}")

    def call_remote(self, args: tuple, kwargs: dict, label: str):
        owner = self.owner
        process = owner._nncheck_process
        owner._check_generation(label)
        reply = process.request(("method", owner._nncheck_handle.key, self.name,
                                 process.export(args), process.export(kwargs)), label)
        return process.outcome(reply, label, (args, kwargs))

    def call_many_remote(self, calls: list[tuple[tuple, dict]], label: str) -> list:
        """Several calls of this method in one round trip (see calling.call_method_many)."""
        owner = self.owner
        owner._check_generation(label)
        return owner._nncheck_process.request_many(
            ("methods", owner._nncheck_handle.key, self.name), calls, label)


class RemoteImplementation(Implementation):
    """An implementation that runs in its own process (see the module docstring)."""

    def __init__(self, process: ImplementationProcess, description: dict):
        deviations = [_deviation(d) for d in description["deviations"]]
        super().__init__(
            description["name"],
            {name: RemoteFunction(process, name) for name in description["components"]},
            version=description["version"], source=description["source"],
            deviations=deviations, not_written=description["not_written"],
            why_absent=description["why_absent"], user_calls=description["user_calls"],
            conventions=description.get("conventions", {}))
        self.process = process

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        from nncheck.contract import component
        from nncheck.runtime.calling import check_outputs

        comp = component(name)
        label = f"{self.name}.{name}"
        result = self.raw(name).call_remote(args, kwargs, label)
        return check_outputs(comp, result, args, kwargs, label)

    def call_many(self, name: str, calls: list[tuple[tuple, dict]]) -> list[Any]:
        """Every call in one round trip; the first that fails raises (see Implementation)."""
        from nncheck.contract import component
        from nncheck.runtime.calling import check_outputs

        comp = component(name)
        label = f"{self.name}.{name}"
        self.raw(name)  # ComponentNotImplemented
        process = self.process
        values = process.request_many(("many", name), calls, label)
        return [check_outputs(comp, value, tuple(args), kwargs, label)
                for value, (args, kwargs) in zip(values, calls, strict=True)]

    def iterate(self, name: str, args: tuple, steps: int, feeds=(), *, each=None, kwargs=None,
                attempted: list[tuple] | None = None) -> list[Any]:
        """The chain in one round trip (see Implementation.iterate). Each result is checked
        here, in order, with the arguments this process computes for it; where the
        implementation process stopped early without a failure, the rest go call by call."""
        from nncheck.contract import component
        from nncheck.runtime.calling import check_outputs

        comp, label = component(name), f"{self.name}.{name}"
        kwargs, feeds, each = dict(kwargs or {}), tuple(feeds), dict(each or {})
        self.raw(name)  # ComponentNotImplemented
        process = self.process
        replies = process.replies(process.request(
            ("chain", name, process.export(tuple(args)), process.export(kwargs), steps, feeds,
             process.export(each)), label), steps, label) if steps > 0 else []
        results: list[Any] = []
        for k in range(steps):
            args = chain_args(args, results[-1] if results else None, feeds, each, k)
            if attempted is not None:
                attempted.append(args)
            if k < len(replies):
                value = process.outcome(replies[k], label, (args, kwargs))
                results.append(check_outputs(comp, value, args, kwargs, label))
            else:
                results.append(self.call(name, *args, **kwargs))
        return results


_CONNECTED: dict[tuple, RemoteImplementation] = {}


def connect(spec: str, options: dict | None = None, limits: Limits | None = None
            ) -> RemoteImplementation:
    """The implementation ``spec`` loaded in its own process (one per checker process).

    Raises :class:`~nncheck.errors.UsageError` when it cannot be loaded. The same
    arguments in the same process give the same object.
    """
    options = dict(options or {})
    limits = limits or Limits()
    key = (spec, tuple(sorted(options.items())), limits)
    found = _CONNECTED.get(key)
    if found is None:
        process = ImplementationProcess(spec, options, limits)
        found = RemoteImplementation(process, process.handshake())
        _CONNECTED[key] = found
    return found


def disconnect_all() -> None:
    """Stop every implementation process of this checker process."""
    for implementation in _CONNECTED.values():
        implementation.process.stop()
    _CONNECTED.clear()
