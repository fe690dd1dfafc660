"""What crosses the boundary between the checker and the implementation process.

Messages are pickled with protocol 5; arrays above :data:`OUT_OF_BAND_BYTES` travel as
out-of-band buffers. Each direction has an :class:`Arena`, a shared-memory segment the
writer copies those buffers into (one copy, no pipe traffic), so the pipe only carries the
small frame: a 24-byte header (payload length, number of buffers, where they are), the
payload, then per buffer its place in the arena, or its length and bytes when it did not fit.

The two directions are not trusted alike. The checker's messages are loaded by the
implementation process with plain :func:`pickle.loads`. What the implementation process
sends back is loaded by :func:`loads_from_implementation`, whose unpickler refuses every
global except numpy's array and scalar constructors and the classes of this module, so a
hostile implementation can send values, never code. Objects that are not plain data
(caches, estimators, an ``np.matrix``) stay in the implementation process; the checker
gets a :class:`Handle` that names them.
"""

from __future__ import annotations

import io
import os
import pickle
import select
import struct
import time
from dataclasses import dataclass

# Arrays at least this large are sent as out-of-band buffers (no copy into the pickle).
OUT_OF_BAND_BYTES = 1 << 16
_HEADER = struct.Struct("<QQQ")  # payload length, number of buffers, 1 if they are in the arena
_LENGTH = struct.Struct("<Q")
_PLACE = struct.Struct("<QQ")  # offset and length of a buffer in the arena
ARENA_BYTES = 1 << 30  # address space of each arena; only pages written use memory


class Arena:
    """A shared-memory segment (a memfd) that one side writes and the other reads.

    The writer lays a frame's buffers out from offset 0; the reader copies them out before
    it answers, so the next frame may overwrite them. Both sides map the same fd.
    """

    def __init__(self, fd: int, size: int = ARENA_BYTES):
        import mmap

        self.fd, self.size = fd, size
        self.map = mmap.mmap(fd, size)

    @classmethod
    def create(cls) -> Arena | None:
        """A new arena, or None where memfds are missing (then buffers go through the pipe)."""
        try:
            fd = os.memfd_create("nncheck-arena", 0)
            os.ftruncate(fd, ARENA_BYTES)
            return cls(fd)
        except (AttributeError, OSError):
            return None

    def put(self, raws: list[memoryview]) -> list[tuple[int, int]] | None:
        """Copy ``raws`` in; their places, or None if they do not fit."""
        places, offset = [], 0
        for raw in raws:
            if offset + raw.nbytes > self.size:
                return None
            self.map[offset:offset + raw.nbytes] = raw
            places.append((offset, raw.nbytes))
            offset += -(-raw.nbytes // 64) * 64
        return places

    def take(self, offset: int, length: int) -> bytearray:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise WireError(f"a buffer at {offset}+{length} lies outside the shared arena")
        out = bytearray(length)
        memoryview(out)[:] = memoryview(self.map)[offset:offset + length]  # one copy
        return out


@dataclass(frozen=True)
class Handle:
    """An object that stays in the implementation process, named by ``key``.

    ``type_name`` is its class as ``module.qualname`` and ``description`` a short, safe
    account of it (shape and dtype of an array subclass, a clipped repr), for messages.
    """

    key: int
    type_name: str
    description: str
    methods: tuple[str, ...] = ()  # public methods of its class, callable without a look-up

    def __repr__(self) -> str:
        return f"<{self.type_name} in the implementation process>"


class WireError(Exception):
    """A frame that cannot be read: the implementation process broke the protocol."""


class Timeout(Exception):
    """The deadline passed before a frame was read or written completely."""


# --------------------------------------------------------------------------- encoding

def dumps(message) -> tuple[bytes, list[pickle.PickleBuffer]]:
    """Pickle ``message``; large contiguous buffers are returned apart (out-of-band)."""
    buffers: list[pickle.PickleBuffer] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        if buffer.raw().nbytes < OUT_OF_BAND_BYTES:
            return True  # in-band
        buffers.append(buffer)
        return False

    return pickle.dumps(message, protocol=5, buffer_callback=out_of_band), buffers


def loads_trusted(payload: bytes, buffers: list[bytes]):
    """Load a message from the checker (in the implementation process)."""
    return pickle.loads(payload, buffers=buffers)


# Globals an implementation's reply may name: numpy's array and scalar constructors (both
# numpy 1 and 2 spellings) and this module's Handle.
_ALLOWED = {
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("builtins", "complex"), ("builtins", "set"), ("builtins", "frozenset"),
    ("nncheck.runtime.wire", "Handle"),
}


class _ReplyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED or module == "numpy.dtypes":
            return super().find_class(module, name)
        raise WireError(f"the implementation process sent a {module}.{name} object, "
                        "which the checker does not load")


def loads_from_implementation(payload: bytes, buffers: list[bytes]):
    """Load a reply from the implementation process, refusing anything but plain data."""
    try:
        return _ReplyUnpickler(io.BytesIO(payload), buffers=buffers).load()
    except WireError:
        raise
    except Exception as exc:
        raise WireError(f"unreadable reply from the implementation process ({type(exc).__name__}: "
                        f"{exc})") from None


# -------------------------------------------------------------------------- framing

def write_frame(fd: int, message, deadline: float | None = None, arena: Arena | None = None) -> None:
    """Write one message to ``fd``; with ``deadline`` (time.monotonic) never block past it.

    Large buffers go into ``arena`` when given (and when they fit), else through the pipe.
    A small frame goes in one ``writev``, so it wakes the reader once.
    """
    payload, buffers = dumps(message)
    raws = [b.raw() for b in buffers]
    places = arena.put(raws) if arena is not None and raws else None
    head = _HEADER.pack(len(payload), len(raws), places is not None) + payload
    if places is not None:
        parts = [head + b"".join(_PLACE.pack(*p) for p in places)]
    else:
        parts = [head]
        for raw in raws:
            parts += [_LENGTH.pack(raw.nbytes), raw]
    _write_all(fd, [memoryview(p).cast("B") for p in parts], deadline)


def read_frame(fd: int, deadline: float | None = None, *, trusted: bool,
               max_bytes: int = 1 << 40, arena: Arena | None = None):
    """Read one message from ``fd``; ``trusted=False`` for replies of the implementation."""
    size, count, in_arena = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if size > max_bytes or count > 1 << 20 or in_arena > 1 or (in_arena and arena is None):
        raise WireError(f"the implementation process announced a reply of {size} bytes in "
                        f"{count} buffers, which the checker does not read")
    payload = _read_exact(fd, size, deadline)
    buffers = []
    for _ in range(count):
        if in_arena:
            offset, length = _PLACE.unpack(_read_exact(fd, _PLACE.size, deadline))
            if length > max_bytes:
                raise WireError(f"the implementation process announced a buffer of {length} bytes")
            buffers.append(arena.take(offset, length))
            continue
        (length,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline))
        if length > max_bytes:
            raise WireError(f"the implementation process announced a buffer of {length} bytes")
        buffers.append(_read_exact(fd, length, deadline))
    if trusted:
        return loads_trusted(payload, buffers)
    return loads_from_implementation(payload, buffers)


def _wait(fd: int, deadline: float | None, *, write: bool) -> None:
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is None:
            select.select([], [fd], []) if write else select.select([fd], [], [])
            return
        if remaining <= 0:
            raise Timeout()
        ready = select.select([], [fd], [], remaining) if write else select.select([fd], [], [], remaining)
        if ready[1 if write else 0]:
            return


def _write_all(fd: int, views: list[memoryview], deadline: float | None) -> None:
    while views:
        try:
            written = os.writev(fd, views[:512])
        except BlockingIOError:  # a non-blocking pipe that is full: wait until it drains
            _wait(fd, deadline, write=True)
            continue
        while views and written >= views[0].nbytes:
            written -= views[0].nbytes
            views.pop(0)
        if views and written:
            views[0] = views[0][written:]
        if views:
            _wait(fd, deadline, write=True)


def _read_exact(fd: int, size: int, deadline: float | None) -> bytearray:
    out = bytearray(size)
    view = memoryview(out)
    got = 0
    while got < size:
        try:
            n = os.readv(fd, [view[got:]])
        except BlockingIOError:  # nothing yet on a non-blocking pipe
            _wait(fd, deadline, write=False)
            continue
        if n == 0:
            raise EOFError("the other side of the boundary closed its pipe")
        got += n
    return out
