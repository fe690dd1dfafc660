"""Telling a function that is not written yet from one that is, by reading its source.

A learner's course file (``layers.py``, ``linear_svm.py``, ``softmax.py``) and a file from
``nncheck template`` define every function, most of them still the skeleton they were
handed. :func:`unwritten` says which: the file adapters leave those out, so their
components are *not implemented* instead of *failed*.

Unwritten means that the body (parsed with :mod:`ast`, comments ignored) is one of:

* a stub: only ``pass``, ``...``, strings (a docstring), ``raise NotImplementedError``
  and ``return`` / ``return None``;
* the course skeleton: placeholders (``out = None``, ``out, cache = None, None``, the
  linear classifiers' ``loss = 0.0`` and ``dW = np.zeros(W.shape)`` or
  ``np.zeros_like(W)``), the course's given lines around the TODO regions (reading
  parameters such as ``mode = bn_param["mode"]`` or ``N, D = x.shape`` without arithmetic,
  writing such a value back with ``bn_param["running_mean"] = running_mean``, seeding with
  ``np.random.seed(...)``, ``if``/``elif``/``else`` whose branches are stubs or raise),
  and returns of placeholders only. A placeholder returned is never assigned anything
  else: ``None``, a tuple holding ``None`` (``cache = (dropout_param, mask)`` with
  ``mask = None``), or a method of a ``None`` placeholder (``out = out.astype(...)``,
  which raises); the zeros of ``loss`` and ``dW`` are never read or changed.

Anything else (a loop, arithmetic, any other call, a decorator, a function whose source
cannot be read) counts as written: calling a real implementation unwritten would hide it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Callable, Iterable, Mapping

STUB = "its body is only a stub"
SKELETON = "its body is only the course skeleton"

_SEEDING = {("np", "random", "seed"), ("numpy", "random", "seed")}
_ZEROS = {("np", "zeros"), ("np", "zeros_like"), ("numpy", "zeros"), ("numpy", "zeros_like")}


def unwritten(fn) -> str | None:
    """Why ``fn`` is not written yet (:data:`STUB` or :data:`SKELETON`), or None if it is."""
    node = _definition(fn)
    if node is None:
        return None
    body = node.body
    if all(_is_stub(s) for s in body):
        return STUB
    params = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                              *filter(None, (node.args.vararg, node.args.kwarg)))}
    return SKELETON if _Skeleton(params).accepts(body) else None


def split_written(functions: Mapping[str, Callable]) -> tuple[dict[str, Callable], dict[str, str]]:
    """``functions`` (the user's name -> function) as (the written ones, name -> why not)."""
    reasons = {name: why for name, fn in functions.items() if (why := unwritten(fn))}
    return {n: fn for n, fn in functions.items() if n not in reasons}, reasons


def why_absent(reasons: Mapping[str, str], provides: Callable[[str], Iterable[str]],
               present: Iterable[str]) -> dict[str, str]:
    """Component -> e.g. "batchnorm_forward is not written yet (its body is only the course
    skeleton)", for each component absent from ``present`` that an unwritten function
    (``reasons``, from :func:`split_written`) would provide (``provides(name)``)."""
    present = set(present)
    found: dict[str, list[str]] = {}
    for name, why in reasons.items():
        for comp in provides(name):
            if comp not in present:
                found.setdefault(comp, []).append(f"{name} is not written yet ({why})")
    return {comp: "; ".join(texts) for comp, texts in found.items()}


def _definition(fn) -> ast.FunctionDef | None:
    """The ``def`` of a plain Python function, undecorated; None when it cannot be read."""
    if not isinstance(fn, types.FunctionType) or hasattr(fn, "__wrapped__"):
        return None
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None  # a lambda, or a source that is not this function alone
    node = tree.body[0]
    if node.decorator_list or node.name != fn.__code__.co_name:
        return None
    return node


def _is_stub(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return stmt.value.value is Ellipsis or isinstance(stmt.value.value, str)
    if isinstance(stmt, ast.Return):
        return stmt.value is None or _is_none(stmt.value)
    if isinstance(stmt, ast.Raise) and stmt.exc is not None and stmt.cause is None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _dotted(node: ast.expr) -> tuple[str, ...] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return (node.id, *reversed(parts))


def _names(target: ast.expr) -> list[str] | None:
    """The names a plain assignment target binds (``a`` or ``a, b``), None otherwise."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)) and all(
            isinstance(e, ast.Name) for e in target.elts):
        return [e.id for e in target.elts]
    return None


class _Skeleton:
    """One pass over a body: every statement must be of a skeleton's kind (see module doc)."""

    def __init__(self, params: set[str]):
        self.params = params
        self.values: dict[str, list[ast.expr]] = {}  # name -> every value assigned to it
        self.returned: list[ast.expr] = []
        self.stores: list[ast.stmt] = []  # write-backs into a parameter
        self.beside_todo: set[int] = set()  # ids of ``dx = dout`` beside an untouched branch

    def accepts(self, body: list[ast.stmt]) -> bool:
        if not self._block(body, top=True) or not self.returned:
            return False
        returned_names = {n.id for v in self.returned for n in ast.walk(v)
                          if isinstance(n, ast.Name)}
        nones = {n for n, vs in self.values.items()
                 if n not in self.params and self._none_like(n, vs)}
        zeros = {n for n, vs in self.values.items() if n in returned_names
                 and n not in self.params | nones and all(map(_is_zero_init, vs))}
        # Anything else that is assigned comes from the course's given lines: it may only be
        # read, without arithmetic, and never returned.
        given = set(self.values) - nones - zeros
        if given & self.params:
            return False  # a parameter rebound
        if any(not self._given_value(v) for n in given for v in self.values[n]):
            return False
        if any(not (isinstance(s.value, ast.Name) and s.value.id in given | self.params)
               for s in self.stores):
            return False
        for value in self.returned:
            elements = value.elts if isinstance(value, ast.Tuple) else [value]
            if not all(_is_none(e) or (isinstance(e, ast.Name) and e.id in nones | zeros)
                       for e in elements):
                return False
        # The zeros are returned untouched: their names appear nowhere but their own
        # assignment and the returns.
        returned_ids = {id(n) for v in self.returned for n in ast.walk(v)}
        for node in ast.walk(ast.Module(body=body, type_ignores=[])):
            if (isinstance(node, ast.Name) and node.id in zeros
                    and isinstance(node.ctx, ast.Load) and id(node) not in returned_ids):
                return False
        return True

    # ------------------------------------------------------------------ statements
    def _block(self, body: list[ast.stmt], top: bool) -> bool:
        return all(self._statement(s, top) for s in body)

    def _statement(self, stmt: ast.stmt, top: bool) -> bool:
        if _is_stub(stmt):
            return True
        if isinstance(stmt, ast.Return):
            self.returned.append(stmt.value)
            return True
        if isinstance(stmt, ast.Raise):
            return not top  # e.g. ``else: raise ValueError('Invalid mode')``
        if isinstance(stmt, ast.If):
            branches = _branches(stmt)
            if any(b and all(map(_is_stub, b)) for b in branches):
                self.beside_todo.update(
                    id(s.value) for b in branches for s in b
                    if isinstance(s, ast.Assign) and len(s.targets) == 1
                    and isinstance(s.targets[0], ast.Name) and isinstance(s.value, ast.Name)
                    and s.value.id in self.params)
            return (self._given_value(stmt.test) and self._block(stmt.body, top=False)
                    and self._block(stmt.orelse, top=False))
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            return (_dotted(call.func) in _SEEDING and not call.keywords
                    and all(self._given_value(a) for a in call.args))
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                    and target.value.id in self.params and isinstance(target.slice, ast.Constant)):
                self.stores.append(stmt)
                return True
            names = _names(target)
            if names is None:
                return False
            value = stmt.value
            if len(names) > 1:
                if not (isinstance(value, ast.Tuple) and len(value.elts) == len(names)):
                    return self._unpacked(names, value)
                for name, element in zip(names, value.elts, strict=True):
                    self.values.setdefault(name, []).append(element)
                return True
            self.values.setdefault(names[0], []).append(value)
            return True
        return False

    def _unpacked(self, names: list[str], value: ast.expr) -> bool:
        """``N, D = x.shape``: given names, unpacked from a plain read."""
        if not self._given_value(value):
            return False
        for name in names:
            self.values.setdefault(name, []).append(value)
        return True

    # ------------------------------------------------------------------ values
    def _none_like(self, name: str, values: list[ast.expr]) -> bool:
        """Every value is None (or a parameter passed through in a branch beside an untouched
        one: the course's ``elif mode == 'test': dx = dout``), or every value is a tuple
        holding None (of None placeholders and parameters), or None and calls of a method
        of ``name`` (which then raise)."""
        if any(map(_is_none, values)) and all(
                _is_none(v) or id(v) in self.beside_todo for v in values):
            return True  # None, or a parameter passed through beside an untouched branch
        if all(isinstance(v, ast.Tuple) for v in values):
            return all(any(_is_none(e) or self._only_none(e) for e in v.elts) and all(
                _is_none(e) or self._only_none(e) or (isinstance(e, ast.Name)
                                                      and e.id in self.params)
                for e in v.elts) for v in values)
        return all(_is_none(v) or (isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute)
                                   and isinstance(v.func.value, ast.Name)
                                   and v.func.value.id == name) for v in values)

    def _only_none(self, node: ast.expr) -> bool:
        """A name that is only ever assigned the constant None."""
        return (isinstance(node, ast.Name) and node.id not in self.params
                and bool(self.values.get(node.id))
                and all(_is_none(v) for v in self.values[node.id]))

    def _given_value(self, node: ast.expr) -> bool:
        """A read without arithmetic: names, constants, attributes, subscripts, tuples,
        comparisons, ``d.get(...)`` and ``np.zeros(...)``."""
        if isinstance(node, (ast.Name, ast.Constant)):
            return True
        if isinstance(node, ast.Attribute):
            return self._given_value(node.value)
        if isinstance(node, ast.Subscript):
            return self._given_value(node.value) and self._given_value(node.slice)
        if isinstance(node, (ast.Tuple, ast.List)):
            return all(self._given_value(e) for e in node.elts)
        if isinstance(node, ast.Compare):
            return all(self._given_value(e) for e in (node.left, *node.comparators))
        if isinstance(node, ast.BoolOp):
            return all(self._given_value(e) for e in node.values)
        if isinstance(node, ast.Call):
            func = node.func
            allowed = (isinstance(func, ast.Attribute) and func.attr == "get"
                       and isinstance(func.value, ast.Name)) or _dotted(func) in _ZEROS
            return allowed and all(self._given_value(a) for a in
                                   (*node.args, *(k.value for k in node.keywords)))
        return False


def _branches(stmt: ast.If) -> list[list[ast.stmt]]:
    """The bodies of an ``if``/``elif``/``else`` chain."""
    branches = [stmt.body]
    while len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If):
        stmt = stmt.orelse[0]
        branches.append(stmt.body)
    return [*branches, stmt.orelse]


def _is_zero_init(value: ast.expr) -> bool:
    """``0``, ``0.0``, ``np.zeros(...)`` or ``np.zeros_like(...)``."""
    if isinstance(value, ast.Constant):
        return type(value.value) in (int, float) and value.value == 0
    return isinstance(value, ast.Call) and _dotted(value.func) in _ZEROS
