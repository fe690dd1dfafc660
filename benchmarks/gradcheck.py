"""Benchmark: nncheck.gradcheck against torch.autograd.gradcheck, side by side in one run.

Two problems of the notes, in float64: softmax cross-entropy ("Loss functions") with
N=256, C=100, and batch normalization ("Batch Normalization") with N=128, D=64 (inputs x,
gamma, beta). For each:

* torch.autograd.gradcheck in its default mode (a full numeric Jacobian) and with
  fast_mode=True (one random projection), on torch's own functions;
* nncheck's verdict with its defaults (directional mode) on a numpy implementation, timed
  from the call that produces the analytic gradient to the verdict;
* every injected bug (sign flip, missing 1/N, one wrong coordinate, transposed, off by a
  relative 1e-4) through nncheck, which must reject each; and, for comparison, through
  torch fast_mode (the numpy implementation wrapped in a torch.autograd.Function).

Run: ``python benchmarks/gradcheck.py`` (needs torch==2.13.0; ``--quick`` skips torch's
default mode, which takes tens of seconds). Single-threaded BLAS for a fair comparison.
Prints the timings and the ratios; exits 1 if nncheck misses an injected bug.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from nncheck import gradcheck as gc  # noqa: E402

# ------------------------------------------------------------------ numpy implementations


def softmax_loss(scores, y):
    """Mean softmax cross-entropy and its gradient (the course's vectorised version)."""
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    probs = np.exp(log_probs)
    loss = -log_probs[np.arange(n), y].mean()
    dscores = probs
    dscores[np.arange(n), y] -= 1.0
    return float(loss), dscores / n


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (xhat, var, gamma, eps)


def batchnorm_backward(dout, cache):
    """The simplified closed form: dx = (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) / std."""
    xhat, var, gamma, eps = cache
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / np.sqrt(var + eps)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


# ------------------------------------------------------------------------------- bugs

def _one_coordinate(g):
    bad = g.copy()
    bad[7, 3] += 0.5 * abs(bad[7, 3]) + 1e-6
    return bad


BUGS = {
    "sign flip": lambda g, n: -g,
    "missing 1/N": lambda g, n: g * n,
    "one coordinate": lambda g, n: _one_coordinate(g),
    "transposed": lambda g, n: g.T.reshape(g.shape),
    "off by 1e-4": lambda g, n: g * (1 + 1e-4),
}


# ----------------------------------------------------------------------------- timing

def timed(fn, repeat):
    """Median wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def interleaved(fns, repeat):
    """(best, median) wall time of each function, calling them in turn ``repeat`` times.

    Alternating the contenders spreads the load of a shared machine evenly over them; the
    best time is the one least disturbed by other processes (as timeit recommends), the
    median shows the disturbance.
    """
    times = [[] for _ in fns]
    results = [None] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            start = time.perf_counter()
            results[k] = fn()
            times[k].append(time.perf_counter() - start)
    return [(min(t), statistics.median(t)) for t in times], results


def verdict(fn):
    """'pass' or 'FAIL' from a gradient check that raises on failure."""
    try:
        ok = fn()
    except AssertionError:
        return "FAIL"
    except RuntimeError as exc:  # torch.autograd.GradcheckError is a RuntimeError
        if "Jacobian mismatch" in str(exc) or "gradcheck" in type(exc).__name__.lower():
            return "FAIL"
        raise
    return "pass" if ok is None or ok else "FAIL"


# --------------------------------------------------------------------------- problems

def softmax_problem(rng):
    n, c = 256, 100
    scores = rng.standard_normal((n, c)) * 2
    y = rng.integers(0, c, n)
    return scores, y


def bn_problem(rng):
    n, d = 128, 64
    return (rng.standard_normal((n, d)) * 2 + 0.5, rng.standard_normal(d) + 1.0,
            rng.standard_normal(d))


def nncheck_softmax(scores, y, bug=None):
    def run():
        _, dscores = softmax_loss(scores, y)  # the implementation's analytic gradient
        if bug is not None:
            dscores = bug(dscores, len(y))
        return gc.check_gradient(lambda s: softmax_loss(s, y)[0], scores, dscores,
                                 name="softmax_loss")
    return run


def nncheck_bn(x, gamma, beta, bug=None):
    def backward(dout, cache):
        dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        if bug is not None:
            dx = bug(dx, x.shape[0])
        return dx, dgamma, dbeta

    def run():
        return gc.check_layer(batchnorm_forward, backward,
                              {"x": x, "gamma": gamma, "beta": beta}, name="batchnorm")
    return run


def torch_tools():
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    return torch, F


def torch_softmax(torch, F, scores, y, fast):
    s = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    t = torch.tensor(y)
    return lambda: torch.autograd.gradcheck(lambda a: F.cross_entropy(a, t), (s,),
                                            fast_mode=fast)


def torch_bn(torch, F, x, gamma, beta, fast):
    args = tuple(torch.tensor(a, dtype=torch.float64, requires_grad=True)
                 for a in (x, gamma, beta))

    def fn(a, g, b):
        return F.batch_norm(a, None, None, g, b, training=True, eps=1e-5)

    return lambda: torch.autograd.gradcheck(fn, args, fast_mode=fast)


def torch_wrapped_softmax(torch, scores, y, bug):
    """The numpy implementation (with the bug) as a torch Function, for torch's verdict."""
    class Softmax(torch.autograd.Function):
        @staticmethod
        def forward(ctx, s):
            loss, dscores = softmax_loss(s.detach().numpy(), y)
            ctx.save_for_backward(torch.from_numpy(bug(dscores, len(y))))
            return torch.tensor(loss, dtype=torch.float64)

        @staticmethod
        def backward(ctx, dout):
            (g,) = ctx.saved_tensors
            return dout * g

    s = torch.tensor(scores, dtype=torch.float64, requires_grad=True)
    return lambda: torch.autograd.gradcheck(Softmax.apply, (s,), fast_mode=True)


def torch_wrapped_bn(torch, x, gamma, beta, bug):
    class BatchNorm(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, g, b):
            out, cache = batchnorm_forward(a.detach().numpy(), g.detach().numpy(),
                                           b.detach().numpy())
            ctx.cache = cache
            return torch.from_numpy(out)

        @staticmethod
        def backward(ctx, dout):
            dx, dgamma, dbeta = batchnorm_backward(dout.numpy(), ctx.cache)
            return (torch.from_numpy(bug(dx, x.shape[0])), torch.from_numpy(dgamma),
                    torch.from_numpy(dbeta))

    args = tuple(torch.tensor(a, dtype=torch.float64, requires_grad=True)
                 for a in (x, gamma, beta))
    return lambda: torch.autograd.gradcheck(BatchNorm.apply, args, fast_mode=True)


# ------------------------------------------------------------------------------- main

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip torch's default (slow) mode")
    parser.add_argument("--repeat", type=int, default=50, help="repeats of the fast timings")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    scores, y = softmax_problem(rng)
    x, gamma, beta = bn_problem(rng)
    torch, F = torch_tools()
    problems = {
        "softmax cross-entropy N=256 C=100": (
            nncheck_softmax(scores, y),
            lambda fast: torch_softmax(torch, F, scores, y, fast),
            lambda bug: nncheck_softmax(scores, y, bug),
            lambda bug: torch_wrapped_softmax(torch, scores, y, bug)),
        "batchnorm N=128 D=64 (x, gamma, beta)": (
            nncheck_bn(x, gamma, beta),
            lambda fast: torch_bn(torch, F, x, gamma, beta, fast),
            lambda bug: nncheck_bn(x, gamma, beta, bug),
            lambda bug: torch_wrapped_bn(torch, x, gamma, beta, bug)),
    }
    missed = []
    print(f"torch {torch.__version__}, numpy {np.__version__}, single-threaded; "
          f"{args.repeat} interleaved runs each (torch default mode: one run)\n")
    for title, (ours, theirs, ours_bug, theirs_bug) in problems.items():
        print(f"== {title}")
        ((b_ours, m_ours), (b_fast, m_fast)), (result, ok_fast) = interleaved(
            [ours, theirs(True)], args.repeat)
        print("                            best (median) of the runs")
        print(f"  nncheck (directional)     {b_ours * 1e3:9.2f} ms ({m_ours * 1e3:8.2f} ms)  "
              f"{'pass' if result else 'FAIL'}  ({result.evaluations} forward evaluations)")
        print(f"  torch fast_mode=True      {b_fast * 1e3:9.2f} ms ({m_fast * 1e3:8.2f} ms)  "
              f"{'pass' if ok_fast else 'FAIL'}")
        if not args.quick:
            t_slow, ok_slow = timed(theirs(False), 1)
            print(f"  torch default mode        {t_slow * 1e3:9.0f} ms (one run)      "
                  f"{'pass' if ok_slow else 'FAIL'}")
            print(f"  ratio torch default / nncheck: {t_slow / m_ours:8.0f}x with nncheck's median,"
                  f" {t_slow / b_ours:.0f}x with its best  (target >= 100x)")
        print(f"  ratio nncheck / torch fast:    {b_ours / b_fast:8.2f}x best, "
              f"{m_ours / m_fast:.2f}x median  (target <= 2x)")
        print("  injected bugs            nncheck (time)         torch fast_mode")
        for name, bug in BUGS.items():
            start = time.perf_counter()
            v_ours = verdict(ours_bug(bug))
            t_bug = time.perf_counter() - start
            v_torch = verdict(theirs_bug(bug))
            if v_ours != "FAIL":
                missed.append(f"{title}: {name}")
            print(f"    {name:<20} {'rejected' if v_ours == 'FAIL' else 'MISSED  '} "
                  f"({t_bug * 1e3:7.1f} ms)   {'rejected' if v_torch == 'FAIL' else 'missed'}")
        print()
    if missed:
        print("nncheck MISSED: " + "; ".join(missed))
        return 1
    print("nncheck rejected every injected bug.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
