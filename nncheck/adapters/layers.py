"""Course-style ``layers.py``: the classic deep-learning course API, checked as is.

A learner's file keeps the course's names and calling conventions; this adapter maps them
onto the contract (``nncheck list`` shows the contract's signatures):

=====================================================  ==========================================
course function                                        contract component(s)
=====================================================  ==========================================
``softmax_loss(x, y)``, ``svm_loss(x, y)``             ``softmax_loss``, ``svm_loss`` (same form)
``batchnorm_forward(x, gamma, beta, bn_param)``        ``batchnorm_train`` (mode 'train'),
                                                       ``batchnorm_inference`` (mode 'test'),
                                                       ``batchnorm_running_update`` (the
                                                       running_mean/running_var it writes back
                                                       into bn_param)
``batchnorm_backward(dout, cache)``                    ``batchnorm_backward``
``batchnorm_backward_alt(dout, cache)``                ``batchnorm_backward_alt``
``spatial_batchnorm_forward/backward``                 ``spatial_batchnorm_train/backward``
``dropout_forward(x, dropout_param)``                  ``dropout_forward`` (dropout_param keys
                                                       p, mode, seed; the cache is the "mask")
``dropout_backward(dout, cache)``                      ``dropout_backward``
``svm_loss_vectorized(W, X, y, reg)``                  ``linear_svm_loss``
``softmax_loss_vectorized(W, X, y, reg)``              ``total_objective``
``svm_loss_naive`` / ``softmax_loss_naive``            the same, with ``--convention linear=naive``
                                                       (or when the vectorized one is absent)
=====================================================  ==========================================

Conventions (``--convention KEY=VALUE``):

* ``dropout_p=keep`` (default) or ``drop``: older course versions used ``p`` as the
  probability of DROPPING a unit; ``drop`` passes ``1 - p`` and is reported as a deviation.
* ``linear=vectorized`` (default) or ``naive``: which of the twin linear-classifier losses
  to check.
* ``linear_reg=full`` or ``half``: the L2 term of the linear classifiers. ``full`` is the
  course's ``reg * sum(W * W)`` (gradient ``2 * reg * W``): the contract's penalty is
  ``0.5 * reg * sum(W**2)``, so the adapter passes ``reg / 2``. ``half`` is
  ``0.5 * reg * sum(W * W)`` (gradient ``reg * W``; the course files of 2016 and many learners
  write it), the contract's own: ``reg`` is passed as is.

  When it is not declared it is *detected*, per function, when the file is loaded
  (:func:`detect_linear_reg`): the function is called on a small fixed input with ``reg = 0``
  and with two values of ``reg``; the differences are the L2 term alone. Only an
  unambiguous answer counts (the loss and the gradient both ``full``, or both ``half``).
  Anything else (the loss in one convention and the gradient in the other, no L2 term, a
  raise, a hang, a result that is not a number and an array like ``W``) is not guessed at:
  ``full`` is assumed and the properties judge the function, so a self-contradictory file
  still fails. Either way the deviation's reason says which convention was assumed and
  why. A detected value (when every linear function checked agrees) is recorded in
  ``Implementation.conventions``, so the report's re-run command and repro scripts
  (report.json ``implementation.conventions``) load the file the same way.

Declared deviations: ``linear_svm_loss`` and ``total_objective`` always carry one, naming
the L2 convention assumed (and the ``reg`` passed).

Functions the file does not define are *not implemented*, and so are the ones it defines
but has not written yet: a body that is only ``pass``, ``raise NotImplementedError`` or the
course skeleton (``out, cache = None, None``, the TODO region, ``return out, cache``; see
:mod:`nncheck.adapters.stubs`). Their verdicts name the function, e.g. "batchnorm_forward
is not written yet (its body is only the course skeleton)". Section of the notes: all of them
("Batch Normalization", "Regularization", "Loss functions").
"""

from __future__ import annotations

import functools
import inspect
import signal
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np

from nncheck.adapters import reject_unknown_options, stubs
from nncheck.contract import COMPONENTS
from nncheck.errors import UsageError
from nncheck.implementation import Deviation, Implementation

# Names only the course API uses: defining any of them marks a file as course-style.
# (batchnorm_backward_alt is a contract component too, with the same signature: not a sign.)
COURSE_ONLY = ("batchnorm_forward", "spatial_batchnorm_forward", "svm_loss_vectorized",
               "svm_loss_naive", "softmax_loss_vectorized", "softmax_loss_naive")
# Names both APIs use with different signatures: the course passes a param dict / a cache.
OVERLOADED = ("dropout_forward", "dropout_backward", "batchnorm_backward",
              "spatial_batchnorm_backward")

# Course function -> the contract components it provides (the others provide their own name).
PROVIDES = {
    "batchnorm_forward": ("batchnorm_train", "batchnorm_inference", "batchnorm_running_update"),
    "spatial_batchnorm_forward": ("spatial_batchnorm_train",),
    "svm_loss_vectorized": ("linear_svm_loss",), "svm_loss_naive": ("linear_svm_loss",),
    "softmax_loss_vectorized": ("total_objective",), "softmax_loss_naive": ("total_objective",),
}

CONVENTIONS = {
    "dropout_p": ("keep", "drop"),
    "linear": ("vectorized", "naive"),
    "linear_reg": ("full", "half"),  # detected when not declared (detect_linear_reg)
}

# What each value of linear_reg means, and what the adapter passes for the contract's reg.
REG_TERMS = {
    "full": ("reg * sum(W * W) (gradient 2 * reg * W), the course's convention; the "
             "contract's L2 penalty is 0.5 * reg * sum(W**2), so the adapter passes reg / 2"),
    "half": ("0.5 * reg * sum(W * W) (gradient reg * W), nncheck's own convention; "
             "reg is passed as is"),
}
DROP_P = ("declared --convention dropout_p=drop: this file's dropout_param['p'] is the "
          "probability of DROPPING a unit; the adapter passes 1 - p")


def is_course_module(module: ModuleType) -> bool:
    """True if ``module`` uses the course API rather than the native contract."""
    if any(callable(getattr(module, name, None)) for name in COURSE_ONLY):
        return True
    dropout = getattr(module, "dropout_forward", None)
    return callable(dropout) and _positional_count(dropout) == 2  # (x, dropout_param)


def _positional_count(fn: Callable) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return -1
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def parse_conventions(options: dict) -> dict[str, str]:
    reject_unknown_options(options, set(CONVENTIONS), "the course layers.py adapter")
    chosen = {key: values[0] for key, values in CONVENTIONS.items()}
    for key, value in options.items():
        if value not in CONVENTIONS[key]:
            raise UsageError(f"--convention {key} takes {' or '.join(CONVENTIONS[key])}, "
                             f"not {value!r}")
        chosen[key] = value
    return chosen


def from_module(module: ModuleType, name: str, source: str, options: dict) -> Implementation:
    """The Implementation of a course-style module (see the module docstring)."""
    conv = parse_conventions(options)
    fn, reasons = stubs.split_written({n: getattr(module, n) for n in dir(module)
                                       if (n in COMPONENTS or n in PROVIDES)
                                       and callable(getattr(module, n, None))})
    functions: dict[str, Callable] = {
        comp: fn[comp] for comp in COMPONENTS if comp in fn and comp not in OVERLOADED}
    deviations: list[Deviation] = []

    if "batchnorm_forward" in fn:
        forward = fn["batchnorm_forward"]
        functions["batchnorm_train"] = _named(_bn_train(forward), "batchnorm_forward")
        functions["batchnorm_inference"] = _named(_bn_inference(forward), "batchnorm_forward")
        functions["batchnorm_running_update"] = _named(_bn_running(forward), "batchnorm_forward")
    if "batchnorm_backward" in fn:
        functions["batchnorm_backward"] = fn["batchnorm_backward"]
    if "spatial_batchnorm_forward" in fn:
        functions["spatial_batchnorm_train"] = _named(
            _bn_train(fn["spatial_batchnorm_forward"], axis=1), "spatial_batchnorm_forward")
    if "spatial_batchnorm_backward" in fn:
        functions["spatial_batchnorm_backward"] = fn["spatial_batchnorm_backward"]

    drop = conv["dropout_p"] == "drop"
    if "dropout_forward" in fn:
        functions["dropout_forward"] = _named(_dropout_forward(fn["dropout_forward"], drop),
                                              "dropout_forward")
    if "dropout_backward" in fn:
        functions["dropout_backward"] = _named(_dropout_backward(fn["dropout_backward"]),
                                               "dropout_backward")
    if drop:
        deviations += [Deviation(c, DROP_P) for c in ("dropout_forward", "dropout_backward")
                       if c in functions]

    declared = options.get("linear_reg")
    detected: list[str | None] = []
    passed_as_is: set[str] = set()  # linear classifiers given reg unhalved (linear_reg=half)
    for kind in ("svm", "softmax"):
        vectorized, naive = f"{kind}_loss_vectorized", f"{kind}_loss_naive"
        candidates = [naive] if conv["linear"] == "naive" else [vectorized, naive]
        chosen = next((c for c in candidates if c in fn), None)
        if chosen:
            comp = "linear_svm_loss" if kind == "svm" else "total_objective"
            found, why = detect_linear_reg(fn[chosen])
            detected.append(found)
            reg = declared or found or "full"
            functions[comp] = _named(_half_reg(fn[chosen]) if reg == "full" else fn[chosen],
                                     chosen)
            if reg == "half":
                passed_as_is.add(comp)
            deviations.append(Deviation(comp, linear_reg_reason(chosen, reg, declared,
                                                                found, why)))
    resolved = {k: str(v) for k, v in options.items()}
    if declared is None and detected and detected[0] and len(set(detected)) == 1:
        # Recorded so that a re-run or a repro script loads the file the same way; when the
        # functions disagree (or one is not detected) nothing is: each is detected again.
        resolved["linear_reg"] = detected[0]
        conv["linear_reg"] = detected[0]

    return Implementation(getattr(module, "NNCHECK_NAME", name), functions,
                          version=str(getattr(module, "__version__", "")),
                          source=f"{source} (course layers.py API; conventions "
                                 + ", ".join(f"{k}={v}" for k, v in conv.items()) + ")",
                          deviations=deviations, not_written=reasons, conventions=resolved,
                          why_absent=stubs.why_absent(
                              reasons, lambda n: PROVIDES.get(n, (n,)), functions),
                          user_calls=_user_calls(functions, drop, passed_as_is))


def load(options: dict | None = None) -> Implementation:
    """``--impl layers --convention path=FILE``: force the course adapter on a file."""
    options = dict(options or {})
    path = options.pop("path", None)
    if not path:
        raise UsageError("the layers adapter needs --convention path=path/to/layers.py "
                         "(or pass the file itself: --impl path/to/layers.py)")
    from nncheck.adapters.module import load_file_as_module

    file = Path(path).expanduser()
    if not file.is_file():
        raise UsageError(f"implementation file not found: {path}")
    return from_module(load_file_as_module(file), file.stem, f"file {file.resolve()}", options)


# --------------------------------------------------------------- the linear classifiers' L2

_PROBE_REGS = (0.3, 1.7)  # two values: the L2 term must scale linearly with reg
_PROBE_RTOL = 1e-6
_PROBE_SECONDS = 5.0


def _probe_input():
    """A small fixed (W, X, y): 4 features, 3 classes, 5 examples, every class present."""
    rng = np.random.default_rng(20160401)
    W = rng.normal(size=(4, 3))
    X = rng.normal(size=(5, 4))
    return W, X, np.array([0, 1, 2, 1, 0])


def detect_linear_reg(loss_fn: Callable) -> tuple[str | None, str]:
    """Which L2 convention ``loss_fn(W, X, y, reg) -> (loss, dW)`` follows, and what was seen.

    Calls it with ``reg = 0`` and with two positive values on the same input: the
    differences of the loss and of the gradient are the L2 term alone, ``k_loss * reg * S``
    and ``k_grad * reg * W`` (``S = sum(W * W)``). ``"full"`` when ``k_loss = 1`` and
    ``k_grad = 2`` at both values, ``"half"`` when they are 1/2 and 1; otherwise None (with
    why), and the caller assumes ``full`` without guessing. Never raises.
    """
    W, X, y = _probe_input()
    S = float(np.sum(W * W))
    try:
        with _time_limit(_PROBE_SECONDS), np.errstate(all="ignore"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            base = _probe_call(loss_fn, W, X, y, 0.0)
            factors = []
            for reg in _PROBE_REGS:
                loss, grad = _probe_call(loss_fn, W, X, y, reg)
                dgrad = (grad - base[1]) / reg
                k_grad = float(np.sum(dgrad * W)) / S
                if not np.allclose(dgrad, k_grad * W, rtol=_PROBE_RTOL, atol=1e-9):
                    return None, ("the change of its gradient with reg is not a multiple of W")
                factors.append(((loss - base[0]) / (reg * S), k_grad))
    except _ProbeFailed as exc:
        return None, str(exc)
    except BaseException as exc:  # noqa: BLE001 -- the user's code may raise anything
        if isinstance(exc, KeyboardInterrupt):
            raise
        text = " ".join(str(exc).split())[:80]
        return None, f"it raised {type(exc).__name__}{': ' + text if text else ''} on a small input"

    def near(a, b):
        return abs(a - b) <= _PROBE_RTOL * abs(b)

    for value, (want_loss, want_grad) in (("full", (1.0, 2.0)), ("half", (0.5, 1.0))):
        if all(near(k_loss, want_loss) and near(k_grad, want_grad)
               for k_loss, k_grad in factors):
            return value, ""
    k_loss, k_grad = factors[0]
    if any(near(k_loss, a) and near(k_grad, b) for a, b in ((1.0, 2.0), (0.5, 1.0))):
        return None, "its reg term does not grow in proportion to reg"
    return None, (f"its loss adds {_term(k_loss, 'reg * sum(W * W)')} but its gradient "
                  f"{_term(k_grad, 'reg * W')}")


def _term(k: float, what: str) -> str:
    if abs(k) < 1e-9:
        return "no reg term"
    return what if abs(k - 1) < 1e-9 else f"{k:.6g} * {what}"


class _ProbeFailed(Exception):
    pass


def _probe_call(loss_fn, W, X, y, reg):
    result = loss_fn(W.copy(), X.copy(), y.copy(), reg)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise _ProbeFailed("it does not return (loss, dW)")
    try:
        loss = float(np.asarray(result[0], dtype=np.float64).reshape(()))
        grad = np.asarray(result[1], dtype=np.float64)
    except (TypeError, ValueError):
        raise _ProbeFailed("it does not return a number and an array") from None
    if grad.shape != W.shape or not (np.isfinite(loss) and np.all(np.isfinite(grad))):
        raise _ProbeFailed("it does not return a finite loss and a gradient shaped like W")
    return loss, grad


class _time_limit:
    """SIGALRM after ``seconds`` (main thread, no other timer set); otherwise no limit."""

    def __init__(self, seconds: float):
        self.seconds, self.armed, self.previous = seconds, False, None

    def __enter__(self):
        if (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
                and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
                and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None)):
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self.armed = True
        return self

    def _expired(self, signum, frame):
        raise _ProbeFailed(f"it did not return within {self.seconds:g} s on a small input")

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def linear_reg_reason(course_name: str, reg: str, declared: str | None, found: str | None,
                      why: str) -> str:
    """The deviation's reason: which L2 convention was assumed for ``course_name``, and why."""
    term = REG_TERMS[reg]
    if declared:
        note = ""
        if found and found != declared:
            note = (f" (but called on a small input, {course_name} looks like "
                    f"--convention linear_reg={found}: {REG_TERMS[found].split(',')[0]})")
        return (f"declared --convention linear_reg={declared}: {course_name} is taken to "
                f"add {term}{note}")
    if found:
        return f"detected: {course_name} adds {term}"
    other = "half" if reg == "full" else "full"
    return (f"assumed --convention linear_reg={reg}: {course_name} is taken to add {term}. The "
            f"convention could not be detected ({why}); if the file follows the other one, "
            f"declare --convention linear_reg={other}")


# ----------------------------------------------------------------------------- wrappers

def _named(wrapper: Callable, course_name: str) -> Callable:
    wrapper.__name__ = wrapper.__qualname__ = course_name
    return wrapper


def _bn_param(mode, x, axis, eps, momentum=0.9, running_mean=None, running_var=None):
    channels = x.shape[axis]
    return {"mode": mode, "eps": eps, "momentum": momentum,
            "running_mean": np.zeros(channels) if running_mean is None
            else np.array(running_mean, dtype=np.float64),
            "running_var": np.zeros(channels) if running_var is None
            else np.array(running_var, dtype=np.float64)}


def _bn_train(forward, axis=1):
    def batchnorm_train(x, gamma, beta, eps=1e-5):
        return forward(x, gamma, beta, _bn_param("train", x, axis, eps))
    return batchnorm_train


def _bn_inference(forward):
    def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
        bn_param = _bn_param("test", x, 1, eps, running_mean=running_mean,
                             running_var=running_var)
        out, _ = forward(x, gamma, beta, bn_param)
        return out
    return batchnorm_inference


def _bn_running(forward):
    def batchnorm_running_update(running_mean, running_var, x, momentum=0.9):
        d = x.shape[1]
        bn_param = _bn_param("train", x, 1, 1e-5, momentum, running_mean, running_var)
        forward(x, np.ones(d), np.zeros(d), bn_param)
        return (np.asarray(bn_param["running_mean"], dtype=np.float64),
                np.asarray(bn_param["running_var"], dtype=np.float64))
    return batchnorm_running_update


def _dropout_forward(forward, p_is_drop):
    def dropout_forward(x, p, mode, seed):
        param = {"p": 1.0 - p if p_is_drop else p, "mode": mode, "seed": seed}
        return forward(x, param)
    return dropout_forward


def _dropout_backward(backward):
    def dropout_backward(dout, mask, p, mode):
        # ``mask`` is whatever this file's dropout_forward returned as its cache.
        return backward(dout, mask)
    return dropout_backward


def _half_reg(loss_fn):
    @functools.wraps(loss_fn)
    def linear_loss(W, X, y, reg):
        return loss_fn(W, X, y, reg / 2.0)
    return linear_loss


# How the wrappers above call the course functions, for failure messages (nncheck.usercalls):
# "{name}" is the contract argument, "{reg:half}" / "{p:one_minus}" the conventions above.
_BN = ("bn_param={{'mode': '%s', 'eps': %s, 'momentum': %s, 'running_mean': %s, "
       "'running_var': %s}}")
_USER_CALLS = {
    "batchnorm_train": "(x, gamma, beta, %s)" % (
        _BN % ("train", "{eps}", "0.9", "zeros(D)", "zeros(D)")),
    "spatial_batchnorm_train": "(x, gamma, beta, %s)" % (
        _BN % ("train", "{eps}", "0.9", "zeros(C)", "zeros(C)")),
    "batchnorm_inference": "(x, gamma, beta, %s)" % (
        _BN % ("test", "{eps}", "0.9", "running_mean", "running_var")),
    "batchnorm_running_update": "(x, ones(D), zeros(D), %s)" % (
        _BN % ("train", "1e-05", "{momentum}", "running_mean", "running_var")),
    "dropout_forward": "(x, dropout_param={{'p': {p}, 'mode': {mode}, 'seed': {seed}}})",
    "linear_svm_loss": "(W, X, y, reg={reg:half})",
    "total_objective": "(W, X, y, reg={reg:half})",
}


def _user_calls(functions: dict[str, Callable], p_is_drop: bool,
                reg_as_is: set[str]) -> dict[str, str]:
    """Component -> the call of the user's course function, as a nncheck.usercalls template
    (``reg_as_is``: the linear classifiers given reg unhalved, ``linear_reg=half``)."""
    calls = {}
    for comp, call in _USER_CALLS.items():
        if comp in functions:
            if p_is_drop:
                call = call.replace("{p}", "{p:one_minus}")
            if comp in reg_as_is:
                call = call.replace("{reg:half}", "{reg}")
            calls[comp] = functions[comp].__name__ + call
    return calls
