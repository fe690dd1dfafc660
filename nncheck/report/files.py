"""Writing a set of report files so that they always agree (``write_report`` in
nncheck/report/model.py, ``write_matrix`` in nncheck/report/merge.py, ``nncheck report render``).

Everything is rendered before anything is written. The files then go into a temporary
folder *inside* the target folder (so the final renames never cross a file system, and a
read-only parent does not matter) and are renamed over the old ones, report.json last,
with SIGINT and SIGTERM held back until the renames are done. A failed render or write,
or an interruption, therefore leaves the previous files as they were; only a SIGKILL or a
power cut in the microseconds of the renames could leave a mix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from nncheck.errors import UsageError

TMP_PREFIX = ".nncheck-tmp-"  # temporary folders; ``find_reports`` skips them


def commit_files(files: dict[str, str | None], directory: str | Path) -> None:
    """Make ``directory`` hold exactly these versions of these files: ``name -> text``, or
    ``name -> None`` to remove a stale file of that name (e.g. report.html when it cannot be
    rendered). Files named last are replaced last. Raises OSError when it cannot write;
    the old files are then untouched."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=directory))
    try:
        for name, text in files.items():
            if text is not None:
                with open(staging / name, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
        with signals_held():
            for name, text in files.items():
                if text is None:
                    (directory / name).unlink(missing_ok=True)
                else:
                    os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def signals_held():
    """Hold SIGINT and SIGTERM back until the block ends, then deliver them to the handlers
    there were before (so Ctrl-C during the renames of :func:`commit_files` takes effect
    right after them). Outside the main thread, or for a handler not set from Python,
    nothing is held."""
    wanted = (signal.SIGINT, signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for signum in wanted:
        handler = signal.getsignal(signum)
        if handler is not None:
            previous[signum] = signal.signal(signum, lambda sig, frame: caught.append(sig))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(caught):
            signal.raise_signal(signum)


def check_report_dir_writable(directory: str | Path) -> None:
    """Raise :class:`~nncheck.errors.UsageError` (one line) unless :func:`commit_files` can
    write into ``directory``: it is created if missing, a temporary folder is made and
    removed in it, and no folder sits where a report file goes."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"cannot write reports into {directory}: it is a file, not a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=directory))
    except OSError as exc:
        raise UsageError(f"cannot write reports into {directory}: {_reason(exc)}") from None
    for name in ("report.json", "report.md", "report.html"):
        if (directory / name).is_dir():
            raise UsageError(f"cannot write reports into {directory}: {name} is a folder")


def check_output_file_writable(path: str | Path) -> None:
    """Raise :class:`~nncheck.errors.UsageError` (one line) unless a file can be written at
    ``path`` (its folder is created if missing), as ``nncheck repro -o`` needs."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=path.parent))
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {_reason(exc)}") from None


def _reason(exc: OSError) -> str:
    """An OSError in a few words, without the path it names (the caller names it)."""
    if isinstance(exc, (NotADirectoryError, FileExistsError)):  # from mkdir(exist_ok=True)
        return "part of the path is a file, not a folder"
    return exc.strerror or (str(exc).splitlines() or [type(exc).__name__])[0]


def note(text: str) -> None:
    """One ``nncheck: note: ...`` line on stderr (not a warning: nothing to locate in code)."""
    print(f"nncheck: note: {text}", file=sys.stderr)
