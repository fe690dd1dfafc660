"""The user's function as written, with the arguments it actually received.

An adapter that calls a user's function under another name or calling convention (the
course ``layers.py`` adapter: ``batchnorm_forward(x, gamma, beta, bn_param)`` for the
contract's ``batchnorm_train``) gives its :class:`~nncheck.implementation.Implementation`
``user_calls``: per component, a template of the call it makes, e.g. ::

    "batchnorm_forward(x, gamma, beta, bn_param={'mode': 'train', 'eps': {eps}, ...})"

``{name}`` is the contract argument ``name`` of the failing call (from the verdict's
example); ``{name:half}`` is half of it and ``{name:one_minus}`` is ``1 - name`` (the
adapter's convention mappings). :func:`describe_call` fills the template in, so a failure
reads "in your call batchnorm_forward(x, gamma, beta, bn_param={'mode': 'train', 'eps':
1e-05, ...})", with the values as the user's function received them.
"""

from __future__ import annotations

import re
import string
from typing import Any

import numpy as np

_DEFAULT = re.compile(r"(\w+)=([^,)]+)")


def describe_call(template: str, component: str, example: dict | None) -> str:
    """``template`` filled in from the last call of ``component`` in ``example``; values
    missing from the example are the contract's defaults, else shown by name."""
    from nncheck.hints import Evidence

    named = _defaults(component)
    named.update(Evidence(component, "", [], example).arguments())
    return _Formatter().vformat(template, (), _Values(named))


class _Values(dict):
    def __missing__(self, key):
        return _Name(key)


class _Name(str):
    """An argument not in the example: shown by its name (e.g. ``reg / 2``)."""


class _Formatter(string.Formatter):
    def format_field(self, value: Any, spec: str) -> str:
        if isinstance(value, _Name):
            return {"half": f"{value} / 2", "one_minus": f"1 - {value}"}.get(spec, value)
        if spec == "half":
            value = value / 2.0
        elif spec == "one_minus":
            value = 1.0 - value
        return _show(value)


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value)


def _defaults(component: str) -> dict[str, Any]:
    from nncheck.contract import COMPONENTS

    comp = COMPONENTS.get(component)
    out: dict[str, Any] = {}
    for name, text in _DEFAULT.findall(comp.signature if comp else ""):
        try:
            out[name] = float(text) if text.strip() not in ("None", "True", "False") else None
        except ValueError:
            continue
    return {k: v for k, v in out.items() if v is not None}
