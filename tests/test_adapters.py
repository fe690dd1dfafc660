"""Tests of the adapters themselves: the course layers.py API, the template, the libraries.

The course files in ``tests/course/`` are run through the whole suite: the correct one must
conform, and the buggy one must fail exactly on the components whose bugs it documents.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from nncheck.adapters import load
from nncheck.adapters.layers import is_course_module
from nncheck.adapters.module import load_file_as_module
from nncheck.api import check, list_invariants
from nncheck.errors import UsageError

COURSE = Path(__file__).parent / "course"
CORRECT = COURSE / "layers_correct.py"
BUGGY = COURSE / "layers_buggy.py"


def _statuses(report) -> dict[str, str]:
    return {c["name"]: c["status"] for c in report["components"]}


def _checked(impl) -> list[str]:
    """Components the implementation provides that the suite has properties for."""
    invariants = list_invariants()
    return sorted(c for c in impl.functions if invariants.get(c))


# ---------------------------------------------------------------- course layers.py adapter

def test_course_file_is_detected_and_mapped():
    impl = load(str(CORRECT))
    assert is_course_module(load_file_as_module(CORRECT))
    assert set(impl.functions) == {
        "softmax_loss", "svm_loss", "batchnorm_train", "batchnorm_inference",
        "batchnorm_running_update", "batchnorm_backward", "dropout_forward",
        "dropout_backward", "linear_svm_loss", "linear_softmax_loss"}
    assert {d.component for d in impl.deviations} == {"linear_svm_loss", "linear_softmax_loss"}
    assert "course layers.py API" in impl.source


def test_native_file_is_not_taken_for_a_course_file():
    broken = Path(__file__).parent / "broken" / "svm_clips_scores.py"
    assert not is_course_module(load_file_as_module(broken))


def test_correct_course_file_conforms():
    impl = load(str(CORRECT))
    components = _checked(impl)
    assert {"softmax_loss", "svm_loss", "linear_svm_loss", "linear_softmax_loss"} <= set(components)
    report = check(str(CORRECT), components=components, seed=0)
    statuses = _statuses(report)
    assert report["summary"]["conforms"], statuses
    assert statuses["linear_svm_loss"] == "deviation"  # the declared reg / 2 mapping
    assert statuses["softmax_loss"] == "passed"


@pytest.mark.parametrize("conventions", [["linear=naive"], ["batchnorm_backward=alt"]])
def test_correct_course_file_twins_conform(conventions):
    impl = load(str(CORRECT), dict(c.split("=") for c in conventions))
    components = [c for c in _checked(impl)
                  if c.startswith("linear_") or c.startswith("batchnorm_backward")]
    if not components:
        pytest.skip("no properties for these components in this suite yet")
    report = check(str(CORRECT), components=components, seed=0, conventions=conventions)
    assert report["summary"]["conforms"], _statuses(report)


def test_buggy_course_file_fails_on_the_right_components():
    module = load_file_as_module(BUGGY)
    impl = load(str(BUGGY))
    components = _checked(impl)
    statuses = _statuses(check(str(BUGGY), components=components, seed=0))
    must_fail = {c for c in module.MUST_FAIL_COMPONENTS if c in components}
    assert {"svm_loss", "linear_softmax_loss"} <= must_fail
    assert {c for c, s in statuses.items() if s == "failed"} == must_fail, statuses
    assert {c for c, s in statuses.items() if s not in ("passed", "deviation")} == must_fail


def test_course_mapping_of_batchnorm_and_dropout():
    """The bn_param / dropout_param wrappers pass the contract's arguments through."""
    impl = load(str(CORRECT))
    buggy = load(str(BUGGY))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3))
    rm, rv = rng.normal(size=3), rng.uniform(1, 2, size=3)
    got = impl.call("batchnorm_running_update", rm, rv, x, 0.8)
    np.testing.assert_allclose(got[0], 0.8 * rm + 0.2 * x.mean(axis=0))
    np.testing.assert_allclose(got[1], 0.8 * rv + 0.2 * x.var(axis=0))
    bad = buggy.call("batchnorm_running_update", rm, rv, x, 0.8)
    assert not np.allclose(bad[0], got[0])
    out = impl.call("batchnorm_inference", x, np.ones(3), np.zeros(3), rm, rv)
    np.testing.assert_allclose(out, (x - rm) / np.sqrt(rv + 1e-5))
    big = np.ones((400, 50))
    kept = (impl.call("dropout_forward", big, 0.8, "train", 3)[0] != 0).mean()
    assert 0.75 < kept < 0.85  # 20000 Bernoulli(0.8) draws: 10 sigma from either bound
    kept_bad = (buggy.call("dropout_forward", big, 0.8, "train", 3)[0] != 0).mean()
    assert 0.15 < kept_bad < 0.25
    out, cache = impl.call("dropout_forward", x, 0.5, "train", 1)
    dx = impl.call("dropout_backward", np.ones_like(x), cache, 0.5, "train")
    np.testing.assert_array_equal(dx, out / x)


def test_dropout_drop_convention_is_declared_and_mapped():
    impl = load(str(BUGGY), {"dropout_p": "drop"})
    assert {d.component for d in impl.deviations} >= {"dropout_forward", "dropout_backward"}
    kept = (impl.call("dropout_forward", np.ones((400, 50)), 0.8, "train", 3)[0] != 0).mean()
    assert 0.75 < kept < 0.85  # p=0.8 keep -> the file is given its drop probability 0.2


def test_course_conventions_are_validated():
    with pytest.raises(UsageError, match="dropout_p takes keep or drop"):
        load(str(CORRECT), {"dropout_p": "maybe"})
    with pytest.raises(UsageError, match="does not know convention"):
        load(str(CORRECT), {"colour": "red"})
    with pytest.raises(UsageError, match="needs --convention path="):
        load("layers")


def test_layers_adapter_by_name(tmp_path):
    target = tmp_path / "anything.py"
    shutil.copy(CORRECT, target)
    impl = load("layers", {"path": str(target)})
    assert impl.has("linear_svm_loss") and impl.name == "anything"


def test_absent_course_functions_are_not_implemented(tmp_path):
    partial = tmp_path / "partial_layers.py"
    partial.write_text("def svm_loss_naive(W, X, y, reg):\n"
                       "    raise NotImplementedError  # a stub: not implemented\n\n"
                       "def softmax_loss_naive(W, X, y, reg):\n"
                       "    raise ValueError('oops')  # a real error\n", encoding="utf-8")
    impl = load(str(partial))
    assert sorted(impl.functions) == ["linear_softmax_loss", "linear_svm_loss"]
    report = check(str(partial), seed=0,
                   components=["linear_svm_loss", "linear_softmax_loss", "softmax_loss"])
    assert _statuses(report) == {"linear_svm_loss": "not-implemented",
                                 "linear_softmax_loss": "error",
                                 "softmax_loss": "not-implemented"}


# ------------------------------------------------------------------------ nncheck template

def test_template_loads_and_reports_everything_not_implemented(tmp_path, capsys):
    import ast

    from nncheck.cli import main
    from nncheck.contract import COMPONENTS

    path = tmp_path / "mine.py"
    assert main(["template", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    defined = [n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)]
    assert defined == list(COMPONENTS)  # generated from the contract: never stale
    impl = load(str(path))
    assert sorted(impl.functions) == sorted(COMPONENTS)
    report = check(str(path), seed=0, profile="dev")
    summary = report["summary"]
    assert summary["total"] > 0
    assert summary["not-implemented"] == summary["total"], _statuses(report)


def test_template_refuses_to_overwrite(tmp_path, capsys):
    from nncheck.cli import main

    path = tmp_path / "mine.py"
    path.write_text("# my work\n", encoding="utf-8")
    assert main(["template", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "# my work\n"
    assert main(["template", str(tmp_path / "mine.txt")]) == 2
