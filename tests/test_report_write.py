"""Report files are written all together or not at all (nncheck/report/files.py), and an
unwritable report folder is found before a run."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from nncheck.errors import UsageError
from nncheck.implementation import Implementation
from nncheck.report import markdown
from nncheck.report.files import TMP_PREFIX, check_report_dir_writable, signals_held
from nncheck.report.merge import find_reports
from nncheck.report.model import build_report, write_report
from nncheck.verdict import Verdict

FILES = ("report.json", "report.md", "report.html")


def _report(status: str) -> dict:
    verdict = Verdict(component="svm_loss", invariant="x", status=status, test_id="t::x",
                      message="" if status == "passed" else "boom")
    impl = Implementation("mine", {"svm_loss": lambda s, y: None})
    return build_report([verdict], impl, spec="mine.py", profile="dev", seed=1, duration_s=0.1)


def _contents(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.iterdir())}


def test_the_three_files_agree_after_a_write(tmp_path):
    pytest.importorskip("jinja2")
    from nncheck.report.html import render_html

    report = _report("failed")
    path = write_report(report, tmp_path / "r")
    assert path == tmp_path / "r" / "report.json"
    assert json.loads(path.read_text()) == report
    assert (tmp_path / "r" / "report.md").read_text() == markdown.render_markdown(report)
    assert (tmp_path / "r" / "report.html").read_text() == render_html(report)
    assert sorted(_contents(tmp_path / "r")) == sorted(FILES)  # no temporary folder left


@pytest.mark.parametrize("failure", [RuntimeError("renderer bug"), KeyboardInterrupt()])
def test_a_failed_or_interrupted_render_leaves_the_old_report_intact(tmp_path, monkeypatch,
                                                                       failure):
    pytest.importorskip("jinja2")
    write_report(_report("passed"), tmp_path)
    before = _contents(tmp_path)

    def broken(report):
        raise failure

    monkeypatch.setattr(markdown, "render_markdown", broken)
    with pytest.raises(type(failure)):
        write_report(_report("failed"), tmp_path)
    assert _contents(tmp_path) == before


def test_a_failed_write_leaves_the_old_report_intact(tmp_path, monkeypatch):
    """The disk fills up while the new files are written into the temporary folder."""
    write_report(_report("passed"), tmp_path)
    before = _contents(tmp_path)
    real_fsync = os.fsync
    calls = []

    def full_disk(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_report(_report("failed"), tmp_path)
    assert _contents(tmp_path) == before


def test_sigint_during_the_renames_takes_effect_after_them():
    # Python's own Ctrl-C handler, whatever an earlier test of this process left in place
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    done = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with signals_held():
                signal.raise_signal(signal.SIGINT)  # to this thread: os.kill may wake another
                done.append("renamed")
        assert done == ["renamed"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def test_merge_skips_the_temporary_folder_of_an_unfinished_write(tmp_path):
    path = write_report(_report("passed"), tmp_path / "a")
    leftover = tmp_path / "a" / f"{TMP_PREFIX}x" / "report.json"
    leftover.parent.mkdir()
    leftover.write_text("{}")
    assert find_reports([tmp_path]) == [path]


def test_a_writable_report_folder_is_created(tmp_path):
    check_report_dir_writable(tmp_path / "new" / "reports")
    assert (tmp_path / "new" / "reports").is_dir()
    assert list((tmp_path / "new" / "reports").iterdir()) == []


def _under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "file").write_text("x")
    return tmp_path / "file" / "reports"


def _a_file(tmp_path: Path) -> Path:
    (tmp_path / "file").write_text("x")
    return tmp_path / "file"


def _report_json_is_a_folder(tmp_path: Path) -> Path:
    (tmp_path / "r" / "report.json").mkdir(parents=True)
    return tmp_path / "r"


@pytest.mark.parametrize("where", [_under_a_file, _a_file, _report_json_is_a_folder,
                                   lambda tmp_path: Path("/proc/nncheck-reports")])
def test_an_unwritable_report_folder_is_a_one_line_usage_error(tmp_path, where):
    """Cases that stop root too (a chmod 0o500 folder does not)."""
    with pytest.raises(UsageError, match="cannot write reports into") as info:
        check_report_dir_writable(where(tmp_path))
    assert "\n" not in str(info.value)
