"""Hostile and careless implementations: each gets the right verdict and exit status.

Every case runs the real ``nncheck check`` in a subprocess of its own session, against a
file written here, so that what the implementation does (fork, exit, patch nncheck, fill
memory, hang) can only reach the run the way a user's file would. Nothing the file does may
turn a wrong implementation into CONFORMS, hang the run or lose the report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# A correct SVM beside every hostile softmax: the run must go on past the softmax.
PRELUDE = '''
import numpy as np
from nncheck.reference.losses import softmax_loss as _right, svm_loss as _svm

def svm_loss(scores, y):
    return _svm(scores, y)

def _wrong(scores, y):  # the gradient not divided by N
    loss, dscores = _right(scores, y)
    return loss, dscores * len(y)
'''

QUICK = ["--profile", "dev", "--seed", "3", "--no-database", "--component", "softmax_loss",
         "--component", "svm_loss"]
# pytest's own selection, for the cases that cost a time limit or a restart per invariant.
ONLY = ("--", "-k", "softmax_matches_reference or svm_matches_reference")


def _check(tmp_path: Path, body: str, *options: str, timeout: float = 300):
    """Run nncheck check on PRELUDE + body; return (exit status, report or None, output)."""
    impl = tmp_path / "hostile_impl.py"
    impl.write_text(PRELUDE + textwrap.dedent(body))
    report_dir = tmp_path / "report"
    out = subprocess.run(
        [sys.executable, "-m", "nncheck.cli", "check", "--impl", str(impl), *QUICK,
         "--report", str(report_dir), *options],
        capture_output=True, text=True, timeout=timeout, cwd=tmp_path, stdin=subprocess.DEVNULL,
        start_new_session=True)
    path = report_dir / "report.json"
    report = json.loads(path.read_text()) if path.exists() else None
    return out.returncode, report, out.stdout + out.stderr


def _softmax(report: dict) -> list[dict]:
    return [i for c in report["components"] if c["name"] == "softmax_loss" for i in c["invariants"]]


def _svm_passed(report: dict) -> bool:
    svm = [i for c in report["components"] if c["name"] == "svm_loss" for i in c["invariants"]]
    return bool(svm) and all(i["status"] == "passed" for i in svm)


# (body defining softmax_loss, extra options, status of every softmax invariant, fragment of
# every softmax message, exit status). None as status: the statuses may differ per invariant
# but none may pass.
CASES = {
    # -- the implementation tries to fake the verdict from inside its own process
    "patches_assert_close": ('''
        import nncheck.compare
        nncheck.compare.assert_close = lambda *a, **k: None
        softmax_loss = _wrong
        ''', (), None, "", 1),
    "patches_verdicts": ('''
        import nncheck.plugin, nncheck.verdict
        class Passed:
            def __init__(self, **kw): self.__dict__.update(kw, status="passed")
            def as_dict(self): return dict(self.__dict__)
        nncheck.plugin.Verdict = nncheck.verdict.Verdict = Passed
        softmax_loss = _wrong
        ''', (), None, "", 1),
    "patches_test_bodies": ('''
        import gc
        for obj in gc.get_objects():
            if callable(obj) and getattr(obj, "__name__", "").startswith("test_"):
                try:
                    obj.__code__ = (lambda *a, **k: None).__code__
                except Exception:
                    pass
        softmax_loss = _wrong
        ''', (), None, "", 1),
    "atexit_exit_0": ('''
        import atexit, os
        atexit.register(lambda: os._exit(0))
        softmax_loss = _wrong
        ''', (), None, "", 1),
    "numpy_error_state": ('''
        np.seterr(all="raise")
        softmax_loss = _right
        ''', (), "passed", "", 0),
    # -- processes and threads
    "forks_in_call": ('''
        import os
        def softmax_loss(scores, y):
            os.fork()
            return _right(scores, y)
        ''', (), "passed", "", 0),
    "fork_bomb": ('''
        import os
        def softmax_loss(scores, y):
            while True:
                os.fork()
        ''', ONLY, "error",
        "started more than", 1),
    "thread_left_running": ('''
        import threading, time
        threading.Thread(target=lambda: time.sleep(10**6)).start()
        softmax_loss = _right
        ''', (), "passed", "", 0),
    "keyboard_interrupt_in_call": ('''
        def softmax_loss(scores, y):
            raise KeyboardInterrupt
        ''', (), "error", "raised KeyboardInterrupt", 1),
    "keyboard_interrupt_in_call_no_workers": ('''
        def softmax_loss(scores, y):
            raise KeyboardInterrupt
        ''', ("-n", "0"), "error", "raised KeyboardInterrupt", 1),
    # -- crashes, hangs and resources
    "exits_0_in_call": ('''
        import os
        def softmax_loss(scores, y):
            os._exit(0)
        ''', ONLY, "error",
        "exit status 0", 1),
    "segfault": ('''
        import ctypes
        def softmax_loss(scores, y):
            ctypes.string_at(0)
        ''', ONLY, "error",
        "Segmentation fault", 1),
    "hangs": ('''
        import time
        def softmax_loss(scores, y):
            time.sleep(10**6)
        ''', ("--timeout", "2", *ONLY),
        "error", "did not finish within the 2 s time limit", 1),
    "memory_bomb": ('''
        def softmax_loss(scores, y):
            hoard = []
            while True:
                hoard.append(np.ones(2**24))
        ''', ("--max-memory", "0.5", *ONLY),
        "error", "over the limit of 0.5 GiB", 1),
    # -- outputs that lie
    "matrix_output": ('''
        def softmax_loss(scores, y):
            loss, dscores = _right(scores, y)
            return loss, np.asmatrix(dscores)
        ''', (), "failed", "got numpy.matrix", 1),
    "ndarray_subclass": ('''
        class Sub(np.ndarray):
            pass
        def softmax_loss(scores, y):
            loss, dscores = _right(scores, y)
            return loss, dscores.view(Sub)
        ''', (), "failed", "got Sub (from hostile_impl.py)", 1),
    "lying_array_object": ('''
        class Liar:
            def __init__(self, a): self.a = a
            def __array__(self, *args, **kwargs): return self.a
            def __eq__(self, other): return True
        def softmax_loss(scores, y):
            loss, dscores = _right(scores, y)
            return loss, Liar(dscores)
        ''', (), "failed", "must be a numpy float64 array, got Liar", 1),
    "float32_scalar": ('''
        def softmax_loss(scores, y):
            loss, dscores = _right(scores, y)
            return np.float32(loss), dscores
        ''', (), "failed", "got numpy.float32", 1),
    "nan_output": ('''
        def softmax_loss(scores, y):
            loss, dscores = _right(scores, y)
            return loss, dscores * np.nan
        ''', (), "failed", "nan", 1),
    # -- bugs that only show on the sizes real code runs at
    "mutates_only_large_batches": ('''
        def softmax_loss(scores, y):
            if len(y) > 20:
                scores[0, 0] += 1.0
            return _right(scores, y)
        ''', (), None, "", 1),
    "hangs_only_on_large_batches": ('''
        import time
        def softmax_loss(scores, y):
            if len(y) > 20:
                time.sleep(10**6)
            return _right(scores, y)
        ''', ("--timeout", "3", *ONLY),
        "error", "time limit", 1),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_implementation_gets_the_right_verdict(tmp_path, case):
    body, options, status, fragment, code = CASES[case]
    got, report, output = _check(tmp_path, body, *options)
    assert got == code, output[-3000:]
    assert report is not None and report["summary"]["complete"], output[-3000:]
    softmax = _softmax(report)
    assert softmax, report["components"]
    statuses = {i["status"] for i in softmax}
    if status is None:
        assert "failed" in statuses or "error" in statuses, softmax
    else:
        assert statuses == {status}, [(i["invariant"], i["status"], i["message"]) for i in softmax]
    assert all(fragment in i["message"] for i in softmax), [i["message"] for i in softmax]
    assert _svm_passed(report), "the run must go on past the hostile softmax"
    assert report["summary"]["conforms"] is (code == 0)


def test_an_implementation_cannot_forge_the_report_file(tmp_path):
    """A thread of the implementation keeps writing a conforming report.json where the run
    will write its own: the implementation processes are gone before the report is written,
    and the exit status comes from the verdicts in memory, not from the file."""
    forged = json.dumps({"schema_version": "1.3", "summary": {"conforms": True}})
    body = f'''
        import os, threading, time
        def _forge():
            while True:
                try:
                    os.makedirs({str(tmp_path / "report")!r}, exist_ok=True)
                    with open({str(tmp_path / "report" / "report.json")!r}, "w") as f:
                        f.write({forged!r})
                except OSError:
                    pass
                time.sleep(0.01)
        threading.Thread(target=_forge, daemon=True).start()
        softmax_loss = _wrong
        '''
    got, report, output = _check(tmp_path, body)
    assert got == 1, output[-3000:]
    assert report is not None and report["summary"]["conforms"] is False
    assert report["implementation"]["name"] == "hostile_impl"


def test_a_hang_in_the_plot_measurements_ends_with_a_report(tmp_path):
    """The report's measurements call the implementation on inputs the properties never
    draw (dropout on 200 x 500); they run under the same time limit."""
    body = '''
        import time
        from nncheck.reference.regularization import dropout_forward as _dropout
        softmax_loss = _right
        def dropout_forward(x, p, mode, seed):
            if x.shape == (200, 500):
                time.sleep(10**6)
            return _dropout(x, p, mode, seed)
        '''
    got, report, output = _check(tmp_path, body, "--component", "dropout_forward",
                                 "--timeout", "3")
    assert report is not None, output[-3000:]
    errors = [m for m in report["measurements"] if m["component"] == "dropout_forward"]
    assert errors and all("time limit" in m.get("error", "") for m in errors), errors
    assert got == (0 if report["summary"]["conforms"] else 1)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_exits_128_plus_signal_and_keeps_the_previous_report(tmp_path, sig):
    report_dir = tmp_path / "report"
    first = subprocess.run(
        [sys.executable, "-m", "nncheck.cli", "check", "--profile", "dev", "--seed", "1",
         "--no-database", "--component", "softmax_loss", "--report", str(report_dir)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    before = {p.name: p.read_bytes() for p in report_dir.iterdir() if p.is_file()}
    marker = tmp_path / "started"
    impl = tmp_path / "slow_impl.py"
    impl.write_text(PRELUDE + textwrap.dedent(f'''
        import time
        def softmax_loss(scores, y):
            open({str(marker)!r}, "a").close()
            time.sleep(0.05)
            return _right(scores, y)
        '''))
    run = subprocess.Popen(
        [sys.executable, "-m", "nncheck.cli", "check", "--impl", str(impl), "--profile", "ci",
         "--seed", "1", "--no-database", "--component", "softmax_loss", "--component",
         "svm_loss", "-n", "2", "--report", str(report_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        start_new_session=True)
    deadline = time.monotonic() + 240
    while not marker.exists() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2.0)  # some invariants finish, others are running
    os.killpg(run.pid, sig)  # as Ctrl-C at a terminal would: the whole process group
    output, _ = run.communicate(timeout=120)
    assert run.returncode == 128 + sig, output[-3000:]
    after = {p.name: p.read_bytes() for p in report_dir.iterdir() if p.is_file()}
    assert after == before, "an interrupted run must leave the previous report as it was"
    partial = report_dir / "interrupted" / "report.json"
    if partial.exists():
        data = json.loads(partial.read_text())
        assert data["summary"]["complete"] is False and data["summary"]["conforms"] is False
        assert data["run"]["interrupted"] == sig.name
        assert data["not_run"], "an interrupted run lists what it did not run"
    assert "CONFORMS" not in output.replace("DOES NOT CONFORM", ""), output[-3000:]
