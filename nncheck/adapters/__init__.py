"""Turning an implementation spec into an :class:`~nncheck.implementation.Implementation`.

A spec (``--impl``, ``NNCHECK_IMPL``) is, in the order tried:

1. a path to a ``.py`` file that follows the native contract (functions named after the
   contract's components), or the course's ``layers.py`` API (detected, see
   :mod:`nncheck.adapters.layers`);
2. the name of an adapter: a built-in one (``reference``, ``layers``, ``torch``,
   ``sklearn``, ``jax``, ``keras``) or one that a package registers
   in the ``nncheck.adapters`` entry-point group as ``name = "pkg.mod:load"``;
3. ``torch:path/or.module`` / ``jax:path/or.module``: the user's own PyTorch or JAX code
   under the native contract's names (:mod:`nncheck.adapters.native`);
   ``pkg.mod:factory``, a callable returning an Implementation;
4. an importable module path ``pkg.mod`` that follows the native contract.

``pkg.mod`` and ``pkg.mod:factory`` resolve from the current working directory as well, and
a file inside a package is imported by its dotted name: both as when the user runs their
own code from the folder they stand in (:mod:`nncheck.adapters.module` says how).

Every adapter's ``load(options)`` takes the ``--convention KEY=VALUE`` pairs as a dict
and rejects the keys it does not know. Any failure to load is a
:class:`~nncheck.errors.UsageError` with a one-line message.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

from nncheck.errors import UsageError
from nncheck.implementation import Implementation

ENTRY_POINT_GROUP = "nncheck.adapters"

BUILTIN_ADAPTERS: dict[str, str] = {
    "reference": "nncheck.adapters.reference:load",
    "layers": "nncheck.adapters.layers:load",
    "torch": "nncheck.adapters.torch:load",
    "sklearn": "nncheck.adapters.sklearn:load",
    "jax": "nncheck.adapters.jax:load",
    "keras": "nncheck.adapters.keras:load",
}


def available_adapters() -> dict[str, str]:
    """Adapter name -> "module:function", built-ins first, then installed entry points."""
    found = dict(BUILTIN_ADAPTERS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def load(spec: str, options: Mapping[str, str] | None = None) -> Implementation:
    """Resolve ``spec`` to an Implementation, or raise UsageError saying why not."""
    options = dict(options or {})
    spec = spec.strip()
    if not spec:
        raise UsageError("empty implementation spec")
    framework, sep, target = spec.partition(":")
    if sep and framework in ("torch", "jax"):  # the user's own PyTorch or JAX code
        from nncheck.adapters import native

        if not target:
            raise UsageError(f"--impl {spec} names no file or module after {framework}:")
        return native.load(framework, target, options)
    if spec.endswith(".py") or os.sep in spec or "/" in spec:
        from nncheck.adapters.module import from_file

        return from_file(spec, options)
    adapters = available_adapters()
    if spec in adapters:
        return _build(_resolve(adapters[spec], spec), options, spec)
    if ":" in spec:
        return _build(_resolve(spec, spec, from_cwd=True), options, spec)
    from nncheck.adapters.module import from_module_path

    return from_module_path(spec, options)


def parse_convention_pairs(pairs: list[str]) -> dict[str, str]:
    """``--convention KEY=VALUE`` pairs as a dict (UsageError for a malformed pair)."""
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--convention takes KEY=VALUE, got {pair!r}")
        options[key.strip()] = value.strip()
    return options


def reject_unknown_options(options: Mapping[str, str], known: set[str], who: str) -> None:
    unknown = sorted(set(options) - known)
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise UsageError(f"{who} does not know convention(s) {', '.join(unknown)} (accepted: {accepted})")


def _resolve(target: str, spec: str, from_cwd: bool = False) -> Callable:
    """The callable ``module:attr``; a user's module (``from_cwd``) also resolves from the
    current working directory (:func:`nncheck.adapters.module.import_from_cwd`)."""
    module_name, _, attr = target.partition(":")
    try:
        if from_cwd:
            from nncheck.adapters.module import import_from_cwd

            module = import_from_cwd(module_name)
        else:
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"cannot load implementation {spec!r}: {exc}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise UsageError(f"cannot load implementation {spec!r}: {module_name} has no {attr!r}") from None


def _build(factory: Callable, options: dict[str, str], spec: str) -> Implementation:
    """Call an adapter's factory; whatever goes wrong becomes a one-line UsageError."""
    try:
        obj = factory(options)
    except UsageError:
        raise
    except Exception as exc:
        raise UsageError(f"building implementation {spec!r} failed: "
                         f"{type(exc).__name__}: {exc}") from None
    if not isinstance(obj, Implementation):
        raise UsageError(f"{spec!r} did not produce an nncheck Implementation (got {type(obj).__name__})")
    return obj
