"""Unfinished work is *not implemented*, never *failed*: nncheck.adapters.stubs and the file
adapters that use it (issue 17, item 1).

The unit tests read functions from a file written here (``unwritten`` needs source); the
end-to-end ones check the course skeletons of tests/course/ on a few components each.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nncheck
from nncheck.adapters import load
from nncheck.adapters.module import load_file_as_module
from nncheck.adapters.stubs import SKELETON, STUB, unwritten
from nncheck.api import check
from nncheck.errors import UsageError
from nncheck.report.markdown import render_markdown
from nncheck.runtime.boundary import _validated_description

COURSE = Path(__file__).parent / "course"

# name -> body; every one is not written yet.
STUBS = {
    "only_pass": "pass",
    "only_ellipsis": "...",
    "only_docstring": '"""Compute the thing."""',
    "docstring_and_pass": '"""Doc."""\n# TODO: write me\npass',
    "raise_class": "raise NotImplementedError",
    "raise_call": 'raise NotImplementedError("later")',
    "everything": '"""Doc."""\n# a comment\npass\n...\nraise NotImplementedError()',
    "bare_return": "# TODO\nreturn",
}
SKELETONS = {
    "out_cache_2016": "out = None\ncache = None\n" + "#" * 30 + "\n# TODO: Implement it.\n"
                      + "#" * 30 + "\npass\nreturn out, cache",
    "out_cache_tuple": "out, cache = None, None\n# TODO\nreturn out, cache",
    "dx_only": "dx = None\n# TODO\nreturn dx",
    "loss_dw_none": "loss, dW = None, None\nreturn loss, dW",
    "three_grads": "dx, dw, db = None, None, None\n# TODO\nreturn dx, dw, db",
    "start_end_2017": "out = None\n# *****START OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
                      "\n\npass\n\n# *****END OF YOUR CODE (DO NOT DELETE/MODIFY THIS LINE)*****"
                      "\nreturn out",
    "linear_zeros_like": "loss = 0.0\ndW = np.zeros_like(W)\n# TODO\npass\nreturn loss, dW",
    "linear_zeros_shape": "loss = 0.0\ndW = np.zeros(W.shape)  # zero gradient\npass\npass\n"
                          "return loss, dW",
    "batchnorm_given_lines": ("x, gamma, beta, bn_param", """\
        mode = bn_param["mode"]
        eps = bn_param.get("eps", 1e-5)
        N, D = x.shape
        running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
        out, cache = None, None
        if mode == "train":
            pass
        elif mode == "test":
            pass
        else:
            raise ValueError("bad mode %s" % mode)
        bn_param["running_mean"] = running_mean
        return out, cache"""),
    "dropout_given_lines": ("x, dropout_param", """\
        p, mode = dropout_param["p"], dropout_param["mode"]
        if "seed" in dropout_param:
            np.random.seed(dropout_param["seed"])
        mask = None
        out = None
        if mode == "train":
            pass
        cache = (dropout_param, mask)
        out = out.astype(x.dtype, copy=False)
        return out, cache"""),
    "test_mode_given": ("dout, cache", """\
        dropout_param, mask = cache
        dx = None
        if dropout_param["mode"] == "train":
            pass
        elif dropout_param["mode"] == "test":
            dx = dout
        return dx"""),
}
# name -> body; every one is written (some of them wrongly: still a verdict to give).
WRITTEN = {
    "one_line": "return np.maximum(0, x)",
    "none_then_real": "out = None\nout = x.dot(w)\nreturn out",
    "none_then_real_tuple": "out, cache = None, None\nout = x.dot(w) + b\ncache = (x, w, b)\n"
                            "return out, cache",
    "none_then_real_in_branch": "out = None\nif mode == 'train':\n    out = x * 2\nreturn out",
    "zeros_then_filled": "loss = 0.0\ndW = np.zeros_like(W)\ndW[0] = 1.0\nreturn loss, dW",
    "zeros_then_add_at": "loss = 0.0\ndW = np.zeros_like(W)\nnp.add.at(dW, y, 1.0)\n"
                         "return loss, dW",
    "zeros_then_augmented": "loss = 0.0\ndW = np.zeros_like(W)\nloss += 1.0\nreturn loss, dW",
    "loop": "loss = 0.0\ndW = np.zeros_like(W)\nfor i in range(3):\n    pass\nreturn loss, dW",
    "real_error": "raise ValueError('oops')",
    "raise_after_work": "x = x + 1\nraise NotImplementedError",
    "returns_an_argument": "out = None\nreturn x",
    "setup_only": "mode = bn_param['mode']\nreturn",
    "setup_with_arithmetic": "out = None\nm = x.mean(axis=0) * 2\nbn_param['m'] = m\nreturn out",
    "running_update_only": textwrap.dedent("""\
        running_mean = bn_param.get("running_mean", np.zeros(3))
        out, cache = None, None
        if bn_param["mode"] == "train":
            running_mean = 0.9 * running_mean
        bn_param["running_mean"] = running_mean
        return out, cache"""),
    "test_mode_written_train_todo": textwrap.dedent("""\
        out = None
        if mode == "train":
            pass
        elif mode == "test":
            out = x
        out = out.astype(x.dtype)
        return out"""),
    "none_placeholder_rebound_from_call": "out = None\nout = compute(x)\nreturn out",
    "returns_a_literal": "loss = None\nreturn loss, 0.0",
    "other_call_statement": "out = None\nprint(x)\nreturn out",
    "rebinds_a_parameter": "mode = bn_param['mode']\nout = None\nreturn out",
}


PARAMETERS = "x, w=None, b=None, W=None, y=None, mode=None, bn_param=None, dropout_param=None"


@pytest.fixture(scope="module")
def functions(tmp_path_factory):
    """Each case as a function of a file (a body alone, or (parameters, body))."""
    folder = tmp_path_factory.mktemp("stubs")
    parts = ["import numpy as np\n"]
    for name, case in {**STUBS, **SKELETONS, **WRITTEN}.items():
        params, body = case if isinstance(case, tuple) else (PARAMETERS, case)
        parts.append(f"\ndef {name}({params}):\n{textwrap.indent(textwrap.dedent(body), '    ')}\n")
    parts.append("\ndef keep(f):\n    return f\n\n@keep\ndef decorated(x):\n    pass\n")
    path = folder / "cases.py"
    path.write_text("".join(parts), encoding="utf-8")
    return vars(load_file_as_module(path))


@pytest.mark.parametrize("name", sorted(STUBS))
def test_stub_bodies_are_unwritten(functions, name):
    assert unwritten(functions[name]) == STUB


@pytest.mark.parametrize("name", sorted(SKELETONS))
def test_course_skeletons_are_unwritten(functions, name):
    assert unwritten(functions[name]) == SKELETON


@pytest.mark.parametrize("name", sorted(WRITTEN))
def test_real_code_is_written(functions, name):
    assert unwritten(functions[name]) is None


def test_what_has_no_readable_source_counts_as_written(functions):
    namespace: dict = {}
    exec("def made_at_run_time(x):\n    pass\n", namespace)  # no file to read
    assert unwritten(namespace["made_at_run_time"]) is None
    assert unwritten(len) is None and unwritten(lambda x: None) is None
    assert unwritten(functions["decorated"]) is None  # a decorator may do anything

    import functools

    @functools.wraps(functions["only_pass"])
    def wrapper(x):
        return x
    assert unwritten(wrapper) is None  # inspect would read the wrapped function's source


# ----------------------------------------------------------------------- the adapters

def _statuses(report) -> dict[str, set[str]]:
    return {c["name"]: {i["status"] for i in c["invariants"]} for c in report["components"]}


def _messages(report, component) -> list[str]:
    return [i["message"] for c in report["components"] if c["name"] == component
            for i in c["invariants"]]


COURSE_COMPONENTS = ["softmax_loss", "svm_loss", "batchnorm_train", "batchnorm_running_update",
                     "batchnorm_backward", "dropout_forward", "dropout_backward",
                     "linear_svm_loss", "total_objective"]


@pytest.mark.parametrize("file", ["layers_skeleton_2016.py", "layers_skeleton_2017.py"])
def test_untouched_course_skeleton_is_not_implemented_not_failed(file):
    impl = load(str(COURSE / file))
    assert not impl.functions  # affine_forward (no component) is neither kept nor listed
    assert {"batchnorm_forward", "batchnorm_backward", "dropout_forward", "dropout_backward",
            "softmax_loss", "svm_loss", "svm_loss_vectorized"} <= set(impl.not_written)
    assert "affine_forward" not in impl.not_written
    report = check(str(COURSE / file), components=COURSE_COMPONENTS, workers=0,
                   use_database=False, seed=0)
    statuses = _statuses(report)
    assert set(statuses) == set(COURSE_COMPONENTS)
    assert all(s == {"not-implemented"} for s in statuses.values()), statuses
    assert report["implementation"]["not_written"] == impl.not_written
    assert all(m == "not-implemented: batchnorm_forward is not written yet (its body is only "
               "the course skeleton)" for m in _messages(report, "batchnorm_running_update"))
    assert all("svm_loss_vectorized is not written yet" in m
               for m in _messages(report, "linear_svm_loss"))


@pytest.fixture(scope="module")
def half_report():
    return check(str(COURSE / "layers_half.py"),
                 components=["softmax_loss", "svm_loss", "batchnorm_train", "batchnorm_backward",
                             "dropout_forward", "dropout_backward"],
                 workers=0, use_database=False, seed=1)


def test_half_finished_course_file(half_report):
    module = load_file_as_module(COURSE / "layers_half.py")
    statuses = _statuses(half_report)
    assert statuses == {"softmax_loss": {"passed"}, "batchnorm_train": {"passed"},
                        "dropout_forward": {"passed"}, "svm_loss": {"not-implemented"},
                        "batchnorm_backward": {"not-implemented"},
                        "dropout_backward": {"not-implemented"}}, statuses
    assert half_report["implementation"]["not_written"] == sorted(module.SKELETON)
    assert set(module.WRITTEN).isdisjoint(half_report["implementation"]["not_written"])
    assert half_report["summary"]["conforms"]
    assert all(m == "not-implemented: dropout_backward is not written yet (its body is only "
               "the course skeleton)" for m in _messages(half_report, "dropout_backward"))
    markdown = render_markdown(half_report)
    assert ("Not written yet (a stub or the course skeleton, so not implemented): "
            "`batchnorm_backward`, `dropout_backward`, `svm_loss`, `svm_loss_vectorized`"
            in markdown)


def test_native_contract_file_stubs(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent('''\
        from nncheck.reference.losses import svm_loss as _svm


        def svm_loss(scores, y):
            return _svm(scores, y)


        def softmax_loss(scores, y):
            """To do."""
            pass


        def l2_penalty(W, lam):
            scale = 0.5
            raise NotImplementedError("scale is known, the rest is not")
        '''), encoding="utf-8")
    impl = load(str(path))
    assert sorted(impl.functions) == ["l2_penalty", "svm_loss"] and impl.not_written == [
        "softmax_loss"]
    report = check(str(path), components=["svm_loss", "softmax_loss", "l2_penalty"],
                   workers=0, use_database=False, seed=0)
    assert _statuses(report) == {"svm_loss": {"passed"}, "softmax_loss": {"not-implemented"},
                                 "l2_penalty": {"not-implemented"}}
    assert all(m == "not-implemented: softmax_loss is not written yet (its body is only a stub)"
               for m in _messages(report, "softmax_loss"))
    # Not recognised at load, still not implemented when it raises NotImplementedError.
    assert all("raised NotImplementedError" in m for m in _messages(report, "l2_penalty"))
    # ... and measuring it for the plots says so instead of ending the run in a pytest skip.
    assert any(m["component"] == "l2_penalty" and "NotImplementedError" in m.get("error", "")
               for m in report["measurements"]), report["measurements"]


def test_the_summary_line_of_nncheck_check(tmp_path):
    """The command prints which functions are not written yet (run as the installed
    command, with this nncheck first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(Path(nncheck.__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "nncheck.cli", "check", "--impl",
         str(COURSE / "layers_half.py"), "--component", "svm_loss", "--component",
         "softmax_loss", "--seed", "0", "--no-database", "-n", "0",
         "--report", str(tmp_path / "r")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not written yet: batchnorm_backward, dropout_backward, svm_loss, " \
           "svm_loss_vectorized" in done.stdout
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert report["implementation"]["not_written"][0] == "batchnorm_backward"


# ----------------------------------------------------------------------- the boundary

def _description(**changes):
    base = {"name": "x", "version": "", "source": "", "components": [], "deviations": [],
            "not_written": ["batchnorm_forward"],
            "why_absent": {"batchnorm_train": "batchnorm_forward is not written yet"}}
    return {**base, **changes}


def test_the_boundary_validates_not_written():
    assert _validated_description(_description(), "x")["not_written"] == ["batchnorm_forward"]
    bad = [{"not_written": "batchnorm_forward"}, {"not_written": [3]},
           {"not_written": ["f"] * 5000}, {"not_written": ["f" * 1000]},
           {"why_absent": {"batchnorm_train": 3}}, {"why_absent": []}]
    for change in bad:
        with pytest.raises(UsageError, match="malformed description"):
            _validated_description(_description(**change), "x")
    missing = _description()
    del missing["not_written"]
    with pytest.raises(UsageError, match="malformed description"):
        _validated_description(missing, "x")
