"""Usage errors of the report and gradcheck commands: one line on stderr, exit 2, no
traceback (issue 16 item 6). Each case runs the real ``nncheck`` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from nncheck.implementation import Implementation
from nncheck.report.model import build_report, write_report
from nncheck.verdict import Verdict

FUNCTION = "def f(x):\n    return float((x ** 2).sum()), 2 * x\n"


def nncheck(*args: str, cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The installed command (run outside the checkout, whose nncheck/ has no properties)."""
    return subprocess.run([sys.executable, "-m", "nncheck.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120,
                          cwd=cwd or tempfile.gettempdir(), **kwargs)


def assert_usage_error(done: subprocess.CompletedProcess, fragment: str) -> None:
    err = done.stderr
    assert done.returncode == 2, (done.returncode, done.stdout, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("nncheck: error: ") and fragment in err, err


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A real report.json with one failure."""
    verdict = Verdict(component="svm_loss", invariant="x", status="failed", test_id="t::x",
                      message="boom")
    impl = Implementation("mine", {"svm_loss": lambda s, y: None})
    report = build_report([verdict], impl, spec="mine.py", profile="dev", seed=1,
                          duration_s=0.1)
    return write_report(report, tmp_path_factory.mktemp("good"))


def _without(key: str):
    def edit(report: dict) -> dict:
        del report[key]
        return report
    return edit


FOREIGN = {
    "malformed": ('{"schema_version": "1.3", ', "not JSON"),
    "binary": (b"\xff\xfe\x00garbage", "not UTF-8"),
    "a list": ([], "no schema_version"),
    "another object": ({"a": 1}, "no schema_version"),
    "schema 2.0": (lambda r: {**r, "schema_version": "2.0"}, "is not compatible with"),
    "no components": (_without("components"), "components is missing"),
    "no summary": (_without("summary"), "summary is missing"),
    "a bad verdict": (lambda r: {**r, "components": [{**r["components"][0], "invariants": [
        {**r["components"][0]["invariants"][0], "status": "great"}]}]}, "'great' is not one of"),
}
COMMANDS = {"merge": ["report", "merge", "{path}", "-o", "{out}"],
            "render": ["report", "render", "{path}", "-o", "{out}"],
            "repro": ["repro", "{path}"]}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", FOREIGN)
def test_a_file_that_is_not_a_report_is_a_usage_error(good, tmp_path, command, case):
    content, fragment = FOREIGN[case]
    path = tmp_path / "report.json"
    if callable(content):
        content = content(json.loads(good.read_text()))
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    argv = [a.format(path=path, out=tmp_path / "out") for a in COMMANDS[command]]
    assert_usage_error(nncheck(*argv), fragment)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def _under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "file").write_text("x")
    return tmp_path / "file" / "out"


@pytest.mark.parametrize("where", [_under_a_file, lambda tmp_path: Path("/proc/nncheck-out")],
                         ids=["under-a-file", "proc"])
@pytest.mark.parametrize("command", [["report", "merge", "{path}", "-o", "{out}"],
                                     ["report", "render", "{path}", "-o", "{out}"],
                                     ["repro", "{path}", "1", "-o", "{out}/repro.py"],
                                     ["repro", "{path}", "1", "-o", "{out}"]],
                         ids=["merge", "render", "repro", "repro-file"])
def test_an_unwritable_output_is_a_usage_error(good, tmp_path, command, where):
    """Paths that stop root too (a read-only folder does not)."""
    out = where(tmp_path)
    argv = [a.format(path=good, out=out) for a in command]
    assert_usage_error(nncheck(*argv), "cannot write")


def test_repro_output_that_is_a_folder_is_a_usage_error(good, tmp_path):
    assert_usage_error(nncheck("repro", good, "1", "-o", tmp_path), "it is a folder")


@pytest.mark.parametrize("args, fragment", [
    (["--shape", "100000,100000,100"], "at most 100,000,000"),
    (["--shape", "60000000", "--shape", "60000000"], "more than 100,000,000 elements together"),
    (["--shape", "0,3"], "positive integers"),
    (["--shape", "-2"], "positive integers"),
    (["--shape", "3,,4"], "positive integers"),
    (["--shape", "three"], "positive integers"),
    (["--shape", "3", "--rtol", "-1", "--atol", "1e-8"], "finite numbers >= 0"),
    (["--shape", "3", "--rtol", "1e-5", "--atol", "-1"], "finite numbers >= 0"),
    (["--shape", "3", "--rtol", "nan", "--atol", "1e-8"], "finite numbers >= 0"),
    (["--shape", "3", "--rtol", "1e-5", "--atol", "inf"], "finite numbers >= 0"),
])
def test_gradcheck_usage_errors(tmp_path, args, fragment):
    (tmp_path / "f.py").write_text(FUNCTION)
    assert_usage_error(nncheck("gradcheck", "f.py:f", *args, cwd=tmp_path), fragment)


def test_gradcheck_still_runs_with_sane_arguments(tmp_path):
    (tmp_path / "f.py").write_text(FUNCTION)
    done = nncheck("gradcheck", "f.py:f", "--shape", "3x2", "--rtol", "1e-6", "--atol", "0",
                   cwd=tmp_path)
    assert done.returncode == 0 and "passed" in done.stdout, done.stderr


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["list", "--markdown"]])
def test_list_into_a_closed_pipe_ends_quietly(args, tmp_path):
    """``nncheck list | head -1``, made deterministic: the reading end is closed before
    nncheck writes anything, so its first write meets a broken pipe."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "nncheck.cli", *args], stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path)
    finally:
        os.close(write)
    assert done.returncode == 0 and done.stderr == "", done.stderr
