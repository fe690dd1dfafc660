"""A user's own PyTorch or JAX code, checked as it is (``--impl torch:my_layers.py``,
``--impl jax:my_losses.py``; a module path works too, e.g. ``torch:pkg.layers``).

The file defines functions named after the contract's components (``nncheck list``) that
take and return ``torch.Tensor``s or JAX arrays; no glue. The adapter turns the suite's
numpy inputs into the framework's arrays (float64, on the CPU; integer labels as int64)
and what comes back into numpy, and it fills in what the user left to the framework's
autodiff:

* a loss or penalty (contract outputs ``(scalar, dA, ...)``) may return only the scalar:
  its gradients come from autodiff (``torch.autograd.grad``, ``jax.vjp``); one that returns
  the gradients too is checked on them;
* a forward pass with a cache (``batchnorm_train``, ``dropout_forward``, ...) may return
  only its output; its backward component (``batchnorm_backward(dout, cache)``) then comes
  from autodiff of that forward with ``dout`` as the upstream gradient (which checks that
  the forward is differentiable as written: a ``.detach()`` or ``.item()`` on the way shows),
  unless the file defines the backward too, which is then called with the cache the forward
  returned (``batchnorm_backward_alt`` only when the file defines it);
* everything else (initializers, max-norm, running statistics, inference) converts.

A custom ``torch.autograd.Function`` or ``jax.custom_vjp`` is reached through autodiff, so
its hand-written backward is what the gradient invariants check. Preprocessing estimators
and ``regularized_objective`` are passed numpy as in the native contract.
Section of the notes: all of them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from nncheck.adapters import reject_unknown_options
from nncheck.contract import COMPONENTS
from nncheck.errors import UsageError
from nncheck.implementation import Deviation, Implementation
from nncheck.runtime.calling import parameter_names

FRAMEWORKS = ("torch", "jax")


def load(framework: str, target: str, options: dict | None = None) -> Implementation:
    """The Implementation of ``target`` (a .py file or a module path) written in
    ``framework`` ("torch" or "jax")."""
    from nncheck.adapters import module as modules

    reject_unknown_options(options or {}, set(), f"--impl {framework}:{target}")
    is_file = target.endswith(".py") or "/" in target
    if is_file and not Path(target).expanduser().is_file():
        raise UsageError(f"implementation file not found: {target}")
    backend = _Torch() if framework == "torch" else _Jax()
    if is_file:
        path = Path(target).expanduser()
        module, name, source = modules.load_file_as_module(path), path.stem, f"file {path.resolve()}"
    else:
        try:
            module = modules.import_from_cwd(target)
        except ModuleNotFoundError:
            raise UsageError(f"cannot load implementation {target!r}: no such module") from None
        name, source = target, f"module {target}"
    plain = modules.from_module(module, name, source)
    functions = wrap(plain.functions, backend)
    return Implementation(plain.name, functions, version=plain.version,
                          source=f"{source}, {framework} {backend.version} (CPU, float64)",
                          deviations=[d for d in backend.deviations if d.component in functions],
                          not_written=plain.not_written, why_absent=plain.why_absent)


def wrap(functions: dict, backend) -> dict:
    """The contract-level callables of a file's framework-native ``functions``."""
    wrapped = {}
    for name, fn in functions.items():
        comp = COMPONENTS[name]
        if comp.kind == "estimator" or name == "regularized_objective":
            wrapped[name] = fn
        elif _backward_of(name) is not None:
            wrapped[name] = _backward(name, fn, backend)
        else:
            wrapped[name] = _forward(name, fn, backend)
    for name in COMPONENTS:  # a backward the file leaves to autodiff of its forward
        forward = _backward_of(name)
        if name not in functions and forward in functions and not name.endswith("_alt"):
            wrapped[name] = _backward(name, None, backend)
    return wrapped


class _Graph:
    """The cache of a forward that runs under autodiff: what its backward differentiates
    (the pullback of its first output), and the user's own cache when it returned one."""

    def __init__(self, pullback, wrt: list[str], user_cache: Any = None):
        self.pullback, self.wrt, self.user_cache = pullback, wrt, user_cache


def _forward(name: str, fn, backend):
    comp = COMPONENTS[name]
    params = parameter_names(comp)
    outputs = comp.outputs
    grads = [o.removeprefix("like:") for o in outputs[1:]] if outputs[:1] == ("scalar",) else []
    cached = len(outputs) == 2 and outputs[1] == "opaque"

    def call(*args, **kwargs):
        named = dict(zip(params, args, strict=False)) | kwargs  # positional ones first
        wrt = [p for p in params if _is_float_array(named.get(p))] if cached else grads
        result, pullback = backend.run(fn, named, len(args), wrt)
        parts = result if isinstance(result, tuple) else (result,)
        if grads and len(parts) == 1:  # only the scalar: the gradients by autodiff
            return (backend.scalar(parts[0]), *backend.arrays(pullback(None)))
        if cached:
            cache = parts[1] if len(parts) > 1 else None
            return backend.array(parts[0]), _Graph(pullback, wrt, cache)
        converted = tuple(backend.scalar(p) if kind == "scalar" else backend.array(p)
                          for p, kind in zip(parts, outputs, strict=False))
        return converted if isinstance(result, tuple) else converted[0]

    call.__name__ = name
    return call


def _backward(name: str, fn, backend):
    """``name(dout, cache, ...)``: the user's backward on their own cache, else the pullback
    of the forward with ``dout`` as its upstream gradient."""
    wanted = [_strip_d(out) for out in _output_names(name)]

    def call(dout, cache, *rest, **kwargs):
        if not isinstance(cache, _Graph):
            raise TypeError(f"{name} got a cache its forward did not make")
        if fn is not None:
            result = fn(backend.tensor(dout, grad=False), cache.user_cache,
                        *(backend.tensor(a, grad=False) for a in rest), **kwargs)
            parts = result if isinstance(result, tuple) else (result,)
            out = tuple(backend.array(p) for p in parts)
            return out if isinstance(result, tuple) else out[0]
        grads = dict(zip(cache.wrt, backend.arrays(cache.pullback(dout)), strict=True))
        out = tuple(grads[w] if w in grads else None for w in wanted)
        return out if len(out) > 1 else out[0]

    call.__name__ = name
    return call


def _backward_of(name: str) -> str | None:
    """The forward whose cache component ``name`` takes (``batchnorm_backward`` ->
    ``batchnorm_train``), or None."""
    params = parameter_names(COMPONENTS[name])
    if params[:1] != ["dout"]:
        return None
    stem = name.removesuffix("_alt").removesuffix("_backward")
    for candidate in (f"{stem}_train", f"{stem}_forward"):
        if candidate in COMPONENTS:
            return candidate
    return None


def _output_names(name: str) -> list[str]:
    tail = COMPONENTS[name].signature.split("->", 1)[1].strip().strip("()")
    return [t.strip() for t in tail.split(",")]


def _strip_d(output: str) -> str:
    return re.sub(r"^d", "", output)


def _call(fn, inputs: dict, positional: int):
    """``fn`` called as the suite called the component: the first ``positional`` inputs by
    position (the user's parameter names may differ from the contract's), the rest by name."""
    items = list(inputs.items())
    return fn(*(v for _, v in items[:positional]), **dict(items[positional:]))


def _is_float_array(value) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


class _Torch:
    def __init__(self):
        try:
            import torch
        except ImportError:
            raise UsageError("--impl torch:... needs PyTorch: pip install 'nncheck[torch]' "
                             "(torch==2.13.0)") from None
        self.torch = torch
        self.version = torch.__version__
        self.deviations = []
        torch.set_num_threads(1)

    def tensor(self, value, grad: bool):
        torch = self.torch
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "f":
                return torch.tensor(value, dtype=torch.float64, requires_grad=grad)
            if value.dtype.kind in "iub":
                return torch.tensor(value, dtype=torch.int64 if value.dtype.kind != "b" else torch.bool)
        return value

    def run(self, fn, named, positional, wrt):
        torch = self.torch
        inputs = {p: self.tensor(v, grad=p in wrt) for p, v in named.items()}
        result = _call(fn, inputs, positional)
        first = result[0] if isinstance(result, tuple) else result
        leaves = [inputs[w] for w in wrt]

        def pullback(cotangent):
            if not isinstance(first, torch.Tensor) or not first.requires_grad:
                return [torch.zeros_like(x) for x in leaves]
            upstream = None if cotangent is None else torch.as_tensor(
                np.asarray(cotangent, dtype=np.float64))
            found = torch.autograd.grad(first, leaves, grad_outputs=upstream,
                                        retain_graph=True, allow_unused=True)
            return [torch.zeros_like(x) if g is None else g for g, x in zip(found, leaves, strict=True)]

        return result, pullback

    def array(self, value):
        if isinstance(value, self.torch.Tensor):
            return value.detach().cpu().numpy().astype(np.float64, copy=True)
        return value

    def arrays(self, values):
        return [self.array(v) for v in values]

    def scalar(self, value):
        if isinstance(value, self.torch.Tensor) and value.numel() == 1:
            return float(value.detach().item())
        return value


class _Jax:
    def __init__(self):
        try:
            import jax
        except ImportError:
            raise UsageError("--impl jax:... needs JAX: pip install 'nncheck[jax]'") from None
        from nncheck.adapters.conventions import FLUSH_TO_ZERO_BOUND, FLUSH_TO_ZERO_TEXT

        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        self.version = jax.__version__
        self.deviations = [  # what XLA does to any JAX code, as the jax adapter declares
            Deviation("max_norm_project", FLUSH_TO_ZERO_TEXT,
                      invariant="max_norm_keeps_subnormal_columns", kind="expected-failure",
                      bound=FLUSH_TO_ZERO_BOUND)]
        self._jitted: dict = {}

    def tensor(self, value, grad: bool = False):
        jnp = self.jax.numpy
        if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
            return jnp.asarray(value, dtype=jnp.float64 if value.dtype.kind == "f" else None)
        return value

    def run(self, fn, named, positional, wrt):
        jax = self.jax
        inputs = {p: self.tensor(v) for p, v in named.items()}
        static = [i for i, v in enumerate(inputs.values()) if not isinstance(v, jax.Array)]
        fn = self._jit(fn, tuple(i for i in static if i < positional),
                       tuple(list(inputs)[i] for i in static if i >= positional))
        if not wrt:
            return _call(fn, inputs, positional), lambda cotangent: []

        def of_wrt(*values):  # (first output, the others) for jax.vjp's has_aux
            result = _call(fn, inputs | dict(zip(wrt, values, strict=True)), positional)
            return (result[0], result[1:]) if isinstance(result, tuple) else (result, None)

        first, vjp, rest = jax.vjp(of_wrt, *(inputs[w] for w in wrt), has_aux=True)
        result = first if rest is None else (first, *rest)

        def pullback(cotangent):
            upstream = (jax.numpy.ones_like(first) if cotangent is None
                        else jax.numpy.asarray(np.asarray(cotangent, dtype=np.float64)))
            return list(vjp(upstream))

        return result, pullback

    def _jit(self, fn, static_nums: tuple[int, ...], static_names: tuple[str, ...]):
        """``fn`` compiled by XLA, as JAX code runs in training, with its non-array
        arguments (eps, p, mode, a seed) static; as written once it cannot be compiled (a
        Python branch on an array's value, say)."""
        key = (fn, static_nums, static_names)
        if key not in self._jitted:
            self._jitted[key] = self.jax.jit(fn, static_argnums=static_nums,
                                             static_argnames=static_names)
        jitted = self._jitted[key]
        if jitted is None:
            return fn

        def compiled_or_eager(*args, **kwargs):
            try:
                return jitted(*args, **kwargs)
            except Exception:  # it needs concrete values: run it as written from now on
                self._jitted[key] = None
                return fn(*args, **kwargs)

        return compiled_or_eager

    def array(self, value):
        if isinstance(value, self.jax.Array):
            return np.asarray(value, dtype=np.float64).copy()
        return value

    def arrays(self, values):
        return [self.array(v) for v in values]

    def scalar(self, value):
        if isinstance(value, self.jax.Array) and value.size == 1:
            return float(value)
        return value
