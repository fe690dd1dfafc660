"""Importing like the user's project (issue 17, item 4).

A file inside a package loads by its dotted name with the package root on ``sys.path``, so
its absolute (``from cs231n.fast_layers import helper``) and relative (``from .layer_utils
import *``) sibling imports work; ``--impl pkg.mod`` and ``nncheck gradcheck pkg.mod:fn``
resolve from the folder the user stands in. The command runs here as the installed console
script does (a script whose folder, not the current one, is first on ``sys.path``) and with
``PYTHONSAFEPATH=1``, so that neither the checker nor its implementation process gets the
current folder from the interpreter. Every implementation is a correct (or, once, wrong)
``l2_penalty(W, reg) -> (0.5 * reg * sum(W**2), reg * W)`` of the native contract.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nncheck
from nncheck.adapters import load
from nncheck.errors import UsageError

# Where the nncheck under test lives: the command in a subprocess must import this one.
NNCHECK_ROOT = Path(nncheck.__file__).resolve().parent.parent

HELPER = """\
import numpy as np


def helper(W, reg):
    W = np.asarray(W, dtype=np.float64)
    return float(0.5 * reg * np.sum(W * W)), reg * W


def wrong_helper(W, reg):
    W = np.asarray(W, dtype=np.float64)
    return float(0.5 * reg * np.sum(W * W)), 2.0 * reg * W
"""
L2 = "\n\ndef l2_penalty(W, reg):\n    return helper(W, reg)\n"
WRONG_L2 = "\n\ndef l2_penalty(W, reg):\n    return wrong_helper(W, reg)\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def nncheck_command(*args, cwd: Path, tmp_path: Path, safe_path: bool = True):
    """The ``nncheck`` command as the console script runs it, in ``cwd``."""
    script = tmp_path / "bin" / "nncheck"
    if not script.exists():
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text("import sys\nfrom nncheck.cli import main\nsys.exit(main())\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONSAFEPATH"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(NNCHECK_ROOT), env.get("PYTHONPATH")) if p)
    if safe_path:
        env["PYTHONSAFEPATH"] = "1"
    return subprocess.run([sys.executable, str(script), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def check_l2(impl, *, cwd: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict | None]:
    report_dir = tmp_path / "report"
    done = nncheck_command("check", "--impl", impl, "--component", "l2_penalty", "--profile",
                           "dev", "--seed", "0", "--no-database", "-n", "0", "--report",
                           report_dir, cwd=cwd, tmp_path=tmp_path)
    path = report_dir / "report.json"
    return done, json.loads(path.read_text()) if path.exists() else None


def assert_conforms(done, report) -> None:
    assert done.returncode == 0, done.stdout + done.stderr
    summary = report["summary"]
    assert summary["passed"] > 0 and summary["failed"] == summary["error"] == 0, summary
    [component] = [c for c in report["components"] if c["name"] == "l2_penalty"]
    assert component["status"] == "passed"


def assert_usage_error(done, *fragments: str) -> None:
    err = done.stderr
    assert done.returncode == 2, (done.returncode, done.stdout, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert all(f in err for f in fragments), err


@pytest.fixture
def isolated_imports(monkeypatch, tmp_path):
    """In-process loads: sys.path and the modules imported from tmp_path are undone after."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


# ------------------------------------------------------------------ files inside packages

def test_absolute_sibling_import_from_outside_the_project(tmp_path):
    """cs231n/layers.py doing `from cs231n.fast_layers import helper`, checked from a
    folder that is not the project root: the package root goes on the path."""
    project = write(tmp_path / "project", {
        "cs231n/__init__.py": "",
        "cs231n/fast_layers.py": HELPER,
        "cs231n/layers.py": "from cs231n.fast_layers import helper\n" + L2,
    })
    done, report = check_l2(project / "cs231n" / "layers.py", cwd=tmp_path, tmp_path=tmp_path)
    assert_conforms(done, report)
    assert report["implementation"]["name"] == "layers"


def test_relative_sibling_import_standing_in_the_package(tmp_path):
    """`from .layer_utils import *`, with the user standing inside the package folder."""
    project = write(tmp_path / "project", {
        "assignment2/__init__.py": "",
        "assignment2/layer_utils.py": HELPER,
        "assignment2/layers.py": "from .layer_utils import *\n" + L2,
    })
    done, report = check_l2("layers.py", cwd=project / "assignment2", tmp_path=tmp_path)
    assert_conforms(done, report)


def test_nested_packages_and_a_wrong_one_through_the_api(tmp_path):
    """top/sub/impl.py imports from its parent package (relatively) and absolutely from its
    own; the verdicts follow the code: a wrong gradient in the same layout fails."""
    from nncheck.api import check

    project = write(tmp_path / "nested_project", {
        "nncheck_top/__init__.py": "",
        "nncheck_top/helpers.py": HELPER,
        "nncheck_top/sub/__init__.py": "from ..helpers import helper as _h  # noqa\n",
        "nncheck_top/sub/other.py": "from nncheck_top.helpers import helper, wrong_helper\n",
        "nncheck_top/sub/impl.py": "from ..helpers import helper\n"
                                   "from nncheck_top.sub.other import helper as same\n"
                                   "assert helper is same\n" + L2,
        "nncheck_top/sub/wrong.py": "from .other import wrong_helper\n" + WRONG_L2,
    })
    good = check(str(project / "nncheck_top" / "sub" / "impl.py"), components=["l2_penalty"],
                 profile="dev", seed=0, use_database=False)
    assert good["summary"]["conforms"] and good["summary"]["passed"] > 0, good["summary"]
    bad = check(str(project / "nncheck_top" / "sub" / "wrong.py"), components=["l2_penalty"],
                profile="dev", seed=0, use_database=False)
    assert not bad["summary"]["conforms"] and bad["summary"]["failed"] > 0, bad["summary"]
    assert bad["summary"]["error"] == 0, bad["summary"]


def test_a_plain_folder_keeps_its_sibling_imports(tmp_path, isolated_imports):
    """Not a package: the file's folder is importable while it loads, as before."""
    folder = write(tmp_path / "plain folder", {
        "plain_helpers_for_nncheck.py": HELPER,
        "mine.py": "from plain_helpers_for_nncheck import helper\n" + L2,
    })
    impl = load(str(folder / "mine.py"))
    penalty, grad = impl.functions["l2_penalty"]([[1.0, -2.0]], 0.5)
    assert penalty == pytest.approx(1.25) and grad.tolist() == [[0.5, -1.0]]
    assert str(folder) not in sys.path


# ------------------------------------------------------------------ when the name cannot be used

def test_a_package_named_like_the_standard_library_loads_as_a_plain_file(tmp_path):
    """A folder called `test` (the stdlib's test package): not imported as test.layers.
    Plain sibling imports still work; a relative one is a one-line error that says why."""
    project = write(tmp_path / "project", {
        "test/__init__.py": "",
        "test/layer_utils.py": HELPER,
        "test/layers.py": "from layer_utils import helper\n" + L2,
        "test/relative.py": "from .layer_utils import *\n" + L2,
    })
    done, report = check_l2(project / "test" / "layers.py", cwd=tmp_path, tmp_path=tmp_path)
    assert_conforms(done, report)
    done, report = check_l2(project / "test" / "relative.py", cwd=project, tmp_path=tmp_path)
    if sys.version_info < (3, 11):
        # No PYTHONSAFEPATH before 3.11: the implementation process (python -m) has the
        # current folder first on its path, so `test` there is the user's package, as it
        # would be for any script the user runs from that folder.
        assert_conforms(done, report)
        return
    assert_usage_error(done, "relative.py", "not imported as test.relative",
                       "'test' is the name of a standard-library module")


def test_a_package_named_like_an_imported_module_is_not_shadowed(tmp_path, isolated_imports):
    """A folder called `numpy`: nncheck's numpy stays numpy."""
    import numpy

    project = write(tmp_path / "project", {
        "numpy/__init__.py": "raise RuntimeError('the user package must not be imported')\n",
        "numpy/layer_utils.py": HELPER,
        "numpy/layers.py": "from layer_utils import helper\n" + L2,
        "numpy/relative.py": "from .layer_utils import *\n" + L2,
    })
    impl = load(str(project / "numpy" / "layers.py"))
    assert impl.functions["l2_penalty"]([[2.0]], 1.0)[0] == 2.0
    assert sys.modules["numpy"] is numpy
    with pytest.raises(UsageError, match=r"not imported as numpy\.relative: 'numpy' is "
                                         r"already the module .*site-packages"):
        load(str(project / "numpy" / "relative.py"))


def test_a_dotted_name_imported_from_elsewhere_is_not_reused(tmp_path, isolated_imports):
    """Two checkouts of the same package: the second file is not given the first's modules."""
    for copy in ("first", "second"):
        write(tmp_path / copy, {
            "nncheck_dup_pkg/__init__.py": "",
            "nncheck_dup_pkg/layer_utils.py": HELPER,
            "nncheck_dup_pkg/layers.py": "from .layer_utils import *\n" + L2,
        })
    first = tmp_path / "first" / "nncheck_dup_pkg" / "layers.py"
    assert load(str(first)).source == f"file {first}"
    assert sys.modules["nncheck_dup_pkg.layers"].__file__ == str(first)
    with pytest.raises(UsageError, match=r"not imported as nncheck_dup_pkg\.layers: "
                                         r"'nncheck_dup_pkg' is already the module .*first"):
        load(str(tmp_path / "second" / "nncheck_dup_pkg" / "layers.py"))


def test_a_folder_name_that_is_not_an_identifier(tmp_path, isolated_imports):
    project = write(tmp_path / "project", {
        "my-layers/__init__.py": "",
        "my-layers/layer_utils.py": HELPER,
        "my-layers/layers.py": "from layer_utils import helper\n" + L2,
        "my-layers/relative.py": "from .layer_utils import *\n" + L2,
    })
    assert "l2_penalty" in load(str(project / "my-layers" / "layers.py")).functions
    with pytest.raises(UsageError, match="'my-layers' is not an importable name"):
        load(str(project / "my-layers" / "relative.py"))


def test_a_broken_package_init_is_one_line_naming_the_module(tmp_path):
    project = write(tmp_path / "project", {
        "brokenpkg/__init__.py": "import numpy\nraise RuntimeError('init is broken')\n",
        "brokenpkg/layers.py": "from .layer_utils import *\n" + L2,
        "brokenpkg/layer_utils.py": HELPER,
    })
    done, _ = check_l2(project / "brokenpkg" / "layers.py", cwd=tmp_path, tmp_path=tmp_path)
    assert_usage_error(done, "as brokenpkg.layers", "RuntimeError: init is broken",
                       "__init__.py, line 2")
    done = nncheck_command("gradcheck", "brokenpkg.layers:l2_penalty", "--shape", "3,4",
                           "--kwargs", '{"reg": 0.5}', cwd=project, tmp_path=tmp_path)
    assert_usage_error(done, "importing 'brokenpkg.layers' failed",
                       "RuntimeError: init is broken (__init__.py, line 2)")


# ------------------------------------------------------------------ pkg.mod from where the user stands

def test_impl_module_path_and_factory_resolve_from_the_current_folder(tmp_path):
    project = write(tmp_path / "project", {
        "cs231n/__init__.py": "",
        "cs231n/fast_layers.py": HELPER,
        "cs231n/layers.py": "from .fast_layers import helper\n" + L2,
        "cs231n/factory.py": "from nncheck.implementation import Implementation\n"
                             "from cs231n.layers import l2_penalty\n\n"
                             "def make(options):\n"
                             "    return Implementation('made here', {'l2_penalty': l2_penalty})\n",
    })
    done, report = check_l2("cs231n.layers", cwd=project, tmp_path=tmp_path)
    assert_conforms(done, report)
    assert report["implementation"]["name"] == "cs231n.layers"
    done, report = check_l2("cs231n.factory:make", cwd=project, tmp_path=tmp_path)
    assert_conforms(done, report)
    assert report["implementation"]["name"] == "made here"


@pytest.mark.parametrize("safe_path", [False, True], ids=["console-script", "PYTHONSAFEPATH"])
def test_gradcheck_module_and_package_file_from_the_current_folder(tmp_path, safe_path):
    project = write(tmp_path / "project", {
        "cs231n/__init__.py": "",
        "cs231n/fast_layers.py": HELPER,
        "cs231n/layers.py": "from .fast_layers import helper, wrong_helper\n" + L2
                            + "\n\ndef wrong_l2(W, reg):\n    return wrong_helper(W, reg)\n",
    })
    for target in ("cs231n.layers:l2_penalty", "cs231n/layers.py:l2_penalty"):
        done = nncheck_command("gradcheck", target, "--shape", "3,4", "--kwargs", '{"reg": 0.5}',
                               cwd=project, tmp_path=tmp_path, safe_path=safe_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "gradient check passed" in done.stdout
    done = nncheck_command("gradcheck", "cs231n.layers:wrong_l2", "--shape", "3,4", "--kwargs",
                           '{"reg": 0.5}', cwd=project, tmp_path=tmp_path, safe_path=safe_path)
    assert done.returncode == 1, done.stdout + done.stderr
    done = nncheck_command("gradcheck", "cs231n.nope:l2_penalty", "--shape", "3", cwd=project,
                           tmp_path=tmp_path, safe_path=safe_path)
    assert_usage_error(done, "cannot import 'cs231n.nope'")


def test_a_package_folder_inside_a_package(tmp_path, isolated_imports):
    """--impl outer/inner (a folder): its __init__.py by its dotted name, outer.inner."""
    project = write(tmp_path / "project", {
        "nncheck_outer/__init__.py": "",
        "nncheck_outer/shared.py": HELPER,
        "nncheck_outer/inner/__init__.py": "from ..shared import helper\n" + L2,
    })
    impl = load(str(project / "nncheck_outer" / "inner"))
    assert (impl.name, impl.source) == ("inner", "module nncheck_outer.inner")
    assert impl.functions["l2_penalty"]([[2.0]], 1.0)[0] == 2.0
