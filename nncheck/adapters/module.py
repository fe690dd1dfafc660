"""The native contract: a module or ``.py`` file whose functions carry component names.

A file like ``my_layers.py`` that defines ``softmax_loss(scores, y)`` and ``svm_loss(scores,
y)`` with the contract's signatures (``nncheck list`` shows them) is checked as is. Optional
module attributes: ``NNCHECK_NAME`` (report name, default the file stem), ``__version__``.
A function whose body is still a stub (``pass``, ``raise NotImplementedError``, as
``nncheck template`` writes them) is left out, so its component is *not implemented*.
A file that uses the deep-learning course's ``layers.py`` API instead (``batchnorm_forward``
with a ``bn_param`` dict, ``dropout_forward(x, dropout_param)``, ``svm_loss_vectorized``...)
is detected and handed to :mod:`nncheck.adapters.layers`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType

from nncheck.adapters import reject_unknown_options
from nncheck.adapters.stubs import split_written, why_absent
from nncheck.contract import COMPONENTS
from nncheck.errors import UsageError
from nncheck.implementation import Implementation


def from_module(module: ModuleType, name: str, source: str) -> Implementation:
    """Every callable attribute of ``module`` named like a contract component, except the
    ones not written yet (:mod:`nncheck.adapters.stubs`): those are not implemented."""
    functions, reasons = split_written({
        comp: getattr(module, comp)
        for comp in COMPONENTS
        if callable(getattr(module, comp, None))
    })
    return Implementation(
        getattr(module, "NNCHECK_NAME", name),
        functions,
        version=str(getattr(module, "__version__", "")),
        source=source,
        not_written=reasons,
        why_absent=why_absent(reasons, lambda comp: [comp], functions),
    )


def from_module_path(dotted: str, options: dict) -> Implementation:
    reject_unknown_options(options, set(), f"module {dotted!r}")
    try:
        module = importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name and dotted.startswith(exc.name):
            raise UsageError(
                f"cannot load implementation {dotted!r}: no such adapter, module or file "
                f"(adapters: see 'nncheck list --adapters')") from None
        raise UsageError(f"cannot import {dotted!r}: {exc}") from None
    except Exception as exc:  # the user's module failed while importing
        raise UsageError(f"importing {dotted!r} failed: {_one_line(exc)}") from None
    return from_module(module, dotted, f"module {dotted}")


def from_file(path_text: str, options: dict) -> Implementation:
    path = Path(path_text).expanduser()
    if path.is_dir():
        if not (path / "__init__.py").is_file():
            raise UsageError(f"--impl {path_text} is a folder but not a package (no __init__.py); "
                             "name a .py file or a package")
        return _from_package_folder(path, options)
    if not path.is_file():
        raise UsageError(f"implementation file not found: {path_text}")
    if path.suffix != ".py":
        raise UsageError(f"implementation file must be a .py file: {path_text}")
    module = load_file_as_module(path)
    from nncheck.adapters import layers

    if layers.is_course_module(module):  # the course's layers.py API: map it
        return layers.from_module(module, path.stem, f"file {path.resolve()}", options)
    reject_unknown_options(options, set(), f"file {path_text!r}")
    return from_module(module, path.stem, f"file {path.resolve()}")


def _from_package_folder(path: Path, options: dict) -> Implementation:
    """A package folder given as a path: import it by name with its parent on sys.path."""
    path = path.resolve()
    if not path.name.isidentifier():
        raise UsageError(f"--impl {path}: {path.name!r} is not an importable package name")
    sys.path.insert(0, str(path.parent))
    return from_module_path(path.name, options)


def load_file_as_module(path: Path) -> ModuleType:
    """Execute ``path`` as a fresh module; its folder is importable while it loads."""
    path = path.resolve()
    module_name = f"nncheck_impl_{path.stem}_{abs(hash(str(path))):x}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # SyntaxError, ImportError, even SystemExit at import time
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise UsageError(f"loading {path.name} failed: {_one_line(exc)}") from None
    finally:
        sys.path.remove(str(path.parent))
    sys.modules[module_name] = module
    return module


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({Path(last[0].filename).name}, line {last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
