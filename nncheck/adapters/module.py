"""The native contract: a module or ``.py`` file whose functions carry component names.

A file like ``my_layers.py`` that defines ``softmax_loss(scores, y)`` and ``svm_loss(scores,
y)`` with the contract's signatures (``nncheck list`` shows them) is checked as is. Optional
module attributes: ``NNCHECK_NAME`` (report name, default the file stem), ``__version__``.
A function whose body is still a stub (``pass``, ``raise NotImplementedError``, as
``nncheck template`` writes them) is left out, so its component is *not implemented*.
A file that uses the deep-learning course's ``layers.py`` API instead (``batchnorm_forward``
with a ``bn_param`` dict, ``dropout_forward(x, dropout_param)``, ``svm_loss_vectorized``...)
is detected and handed to :mod:`nncheck.adapters.layers`.

Imports work as when the user runs their own code from the folder they stand in:

* A file inside a package (``cs231n/layers.py`` with ``cs231n/__init__.py``; folders with
  an ``__init__.py`` going up) is imported by its dotted name (``cs231n.layers``) with the
  topmost package's parent folder put first on ``sys.path`` (and left there), so both
  ``from cs231n.fast_layers import *`` and ``from .layer_utils import *`` work. It is
  loaded as a plain file instead (below) when that name cannot be used: a folder name that
  is not an identifier, a top-level name of the standard library or of another module
  already imported or importable from elsewhere (a folder called ``test`` or ``numpy``), or
  a module of that dotted name already imported from another file; a failure to load then
  says why the package import was not used.
* A plain file (not in a package) is executed as a fresh module with its folder on
  ``sys.path`` while it loads, so its sibling modules import.
* ``pkg.mod`` (and ``pkg.mod:factory``, ``pkg.mod:function`` for ``nncheck gradcheck``)
  resolves from the current working directory too: it is put first on ``sys.path`` when it
  is not there already, as ``python -m`` does (the ``nncheck`` console script and a
  ``PYTHONSAFEPATH`` interpreter do not).
"""

from __future__ import annotations

import importlib
import importlib.util
import keyword
import os
import sys
import sysconfig
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
        module = import_from_cwd(dotted)
    except ModuleNotFoundError:
        raise UsageError(
            f"cannot load implementation {dotted!r}: no such adapter, module or file "
            f"(adapters: see 'nncheck list --adapters')") from None
    return from_module(module, dotted, f"module {dotted}")


def cwd_on_path() -> None:
    """Put the current working directory first on ``sys.path`` unless it is on it already."""
    try:
        cwd = os.getcwd()
    except OSError:  # the folder was removed under us: nothing to add
        return
    for entry in sys.path:
        try:
            if os.path.abspath(entry or os.curdir) == cwd:
                return
        except (TypeError, ValueError):
            continue
    sys.path.insert(0, cwd)


def import_from_cwd(dotted: str) -> ModuleType:
    """Import the module ``dotted`` as from the folder the user stands in (see above).

    Raises ModuleNotFoundError when ``dotted`` itself (or a package on its way) does not
    exist, and a one-line UsageError naming the module when importing it fails (its
    ``__init__`` raised, a dependency is missing...).
    """
    cwd_on_path()
    return _import_named(dotted)


def _import_named(dotted: str) -> ModuleType:
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name and (dotted == exc.name or dotted.startswith(exc.name + ".")):
            raise ModuleNotFoundError(f"No module named {exc.name!r}", name=exc.name) from None
        raise UsageError(f"importing {dotted!r} failed: {_one_line(exc)}") from None
    except BaseException as exc:  # the user's module (or its package's __init__) failed
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise UsageError(f"importing {dotted!r} failed: {_one_line(exc)}") from None


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

    name = path.resolve().parent.name if path.name == "__init__.py" else path.stem
    if layers.is_course_module(module):  # the course's layers.py API: map it
        return layers.from_module(module, name, f"file {path.resolve()}", options)
    reject_unknown_options(options, set(), f"file {path_text!r}")
    return from_module(module, name, f"file {path.resolve()}")


def _from_package_folder(path: Path, options: dict) -> Implementation:
    """A package folder given as a path: its ``__init__.py``, loaded like any file inside a
    package (by its dotted name, ``outer.pkg`` inside another package)."""
    path = path.resolve()
    reject_unknown_options(options, set(), f"package {path.name!r}")
    module = load_file_as_module(path / "__init__.py")
    imported_as = module.__name__
    source = (f"file {path / '__init__.py'}" if imported_as.startswith("nncheck_impl_")
              else f"module {imported_as}")
    return from_module(module, path.name, source)


def load_file_as_module(path: Path) -> ModuleType:
    """The module of the file ``path``: by its dotted name if it is inside a package,
    else executed as a fresh module with its folder importable while it loads."""
    path = path.resolve()
    dotted, root, why_not = package_name(path)
    if dotted and not why_not:
        return _import_in_package(path, dotted, root)
    module_name = f"nncheck_impl_{path.stem}_{abs(hash(str(path))):x}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # SyntaxError, ImportError, even SystemExit at import time
        if isinstance(exc, KeyboardInterrupt):
            raise
        note = f" (not imported as {dotted}: {why_not})" if why_not else ""
        raise UsageError(f"loading {path.name} failed: {_one_line(exc)}{note}") from None
    finally:
        sys.path.remove(str(path.parent))
    sys.modules[module_name] = module
    return module


def package_name(path: Path) -> tuple[str, Path | None, str]:
    """(dotted name, folder to import it from, why that name cannot be used) of the file.

    ``("", None, "")`` for a file that is not inside a package; ``why`` is "" when the
    dotted name can be imported from ``root`` without shadowing or being shadowed."""
    packages = []  # the folders with an __init__.py going up, innermost first
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        packages.append(folder.name)
        folder = folder.parent
    if not packages:
        return "", None, ""  # a plain file
    parts = packages[::-1] + ([] if path.name == "__init__.py" else [path.stem])
    dotted = ".".join(parts)
    bad = [p for p in parts if not p.isidentifier() or keyword.iskeyword(p)]
    if bad:
        return dotted, folder, f"{bad[0]!r} is not an importable name"
    top = parts[0]
    stdlib = "standard-library module"
    if top in getattr(sys, "stdlib_module_names", ()):
        return dotted, folder, f"{top!r} is the name of a {stdlib}"
    itself = path.parent if path.name == "__init__.py" else path
    for name, expected in ((top, folder / top), (dotted, itself)):
        elsewhere = _located_elsewhere(name, expected)
        if elsewhere and _in_stdlib(elsewhere):  # e.g. test, which is not in stdlib_module_names
            return dotted, folder, f"{name!r} is the name of a {stdlib} ({elsewhere})"
        if elsewhere:
            return dotted, folder, f"{name!r} is already the module {elsewhere}"
    return dotted, folder, ""


def _in_stdlib(place: str) -> bool:
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    found = Path(place).resolve()
    return found.is_relative_to(stdlib) and "site-packages" not in found.relative_to(stdlib).parts


def _located_elsewhere(name: str, expected: Path) -> str:
    """Where the module ``name`` (already imported, or importable now) lives, if not at
    ``expected`` (a package folder or a .py file); "" when it does not exist elsewhere."""
    module = sys.modules.get(name)
    try:
        if module is not None:
            places = list(getattr(module, "__path__", None) or [getattr(module, "__file__", None)])
        elif "." in name:  # a submodule of a package found at the expected place: not imported
            return ""
        else:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin in (None, "namespace"):
                return ""  # nowhere, or folders without __init__.py: a package at root wins
            places = list(spec.submodule_search_locations or [spec.origin])
    except Exception:  # an odd finder or module: do not risk it
        return f"{name} (of unknown location)"
    places = [p for p in places if isinstance(p, str) and p not in ("built-in", "frozen")]
    if not places:
        return "built into Python"
    for place in places:
        found = Path(place).resolve()
        if found == expected or found == expected / "__init__.py":
            return ""
    return places[0]


def _import_in_package(path: Path, dotted: str, root: Path) -> ModuleType:
    """Import ``dotted`` (the file ``path``) with ``root`` first on ``sys.path``."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # left there: the package may import lazily
    try:
        module = importlib.import_module(dotted)
    except BaseException as exc:  # its __init__ or the file failed, even with SystemExit
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise UsageError(f"loading {path.name} as {dotted} (from {root}) failed: "
                         f"{_one_line(exc)}") from None
    where = getattr(module, "__file__", None)
    if not where or Path(where).resolve() != path:
        raise UsageError(f"loading {path.name}: importing {dotted} from {root} gave "
                         f"{where or 'a module without a file'} instead")
    return module


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    last = [f for f in frames if not f.filename.startswith("<frozen")][-1:]
    where = f" ({Path(last[0].filename).name}, line {last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
