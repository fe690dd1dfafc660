"""The reference implementation as an adapter: every component whose reference exists."""

from __future__ import annotations

import importlib

import nncheck
from nncheck.adapters import reject_unknown_options
from nncheck.contract import COMPONENTS
from nncheck.implementation import Implementation


def reference_functions() -> dict:
    """Component name -> reference callable, for every component built so far."""
    found = {}
    for comp in COMPONENTS.values():
        module_name, _, attr = comp.reference.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        if hasattr(module, attr):
            found[comp.name] = getattr(module, attr)
    return found


def load(options: dict | None = None) -> Implementation:
    reject_unknown_options(options or {}, set(), "the reference adapter")
    return Implementation("reference", reference_functions(), version=nncheck.__version__,
                          source="nncheck.reference")
