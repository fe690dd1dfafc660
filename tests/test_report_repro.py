"""Recording an implementation's calls and storing them as data (nncheck.report.repro)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncheck.implementation import Implementation
from nncheck.report.repro import (
    decode,
    encode,
    find_failure,
    serialise_calls,
)
from nncheck.runtime.recording import CallLog, RecordingImplementation

DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_])


@settings(max_examples=60, deadline=None)
@given(array=DTYPES.flatmap(lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3))))
def test_arrays_round_trip_exactly_through_json(array):
    back = decode(json.loads(json.dumps(encode(array), allow_nan=False)))
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")


def test_scalars_containers_and_non_finite_values_round_trip():
    value = (1, 2.5, float("nan"), -np.inf, "test", None, True, np.float32(0.1),
             [np.arange(3)], {"k": np.array([np.inf])})
    text = json.dumps(encode(value), allow_nan=False)
    back = decode(json.loads(text))
    assert back[:2] == (1, 2.5) and np.isnan(back[2]) and back[3] == -np.inf
    assert back[4:7] == ("test", None, True)
    assert back[7] == np.float32(0.1) and type(back[7]) is np.float32
    assert np.array_equal(back[8][0], np.arange(3)) and back[9]["k"][0] == np.inf


def _cache_forward(x):
    return x * 2.0, {"x": x}


def _cache_backward(dout, cache):
    return dout * 2.0 + cache["x"] * 0.0


def test_outputs_passed_back_in_are_stored_as_references():
    """A cache from a forward call becomes {"type": "output"}, so replay rebuilds it."""
    impl = Implementation("toy", {"batchnorm_train": lambda x, g, b: _cache_forward(x),
                                  "batchnorm_backward": lambda d, c: (_cache_backward(d, c),
                                                                      g_zero(), g_zero())})
    log = CallLog()
    recorded = RecordingImplementation(impl, log)
    x = np.ones((2, 3))
    out, cache = recorded.call("batchnorm_train", x, np.ones(3), np.zeros(3))
    recorded.call("batchnorm_backward", np.ones((2, 3)), cache)
    block = serialise_calls(log)
    assert block["complete"]
    second = block["calls"][1]
    assert second["args"][1] == {"type": "output", "call": 0, "index": 1}
    # replaying rebuilds the cache from the first call's outputs
    outputs = [(out, cache)]
    assert decode(second["args"][1], outputs) is cache


def g_zero():
    return np.zeros(3)


class _Estimator:
    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        return self

    def transform(self, X):
        return X - self.mean_


def test_estimator_method_calls_are_recorded():
    impl = Implementation("toy", {"mean_subtraction": _Estimator})
    log = CallLog()
    recorded = RecordingImplementation(impl, log)
    est = recorded.call("mean_subtraction").fit(np.arange(6.0).reshape(3, 2))
    est.transform(np.zeros((1, 2)))
    assert est.mean_.tolist() == [2.0, 3.0]  # attributes pass through the recording proxy
    calls = serialise_calls(log)["calls"]
    assert [(c["method"], c["target"]) for c in calls] == [(None, None), ("fit", 0),
                                                           ("transform", 0)]
    assert decode(calls[2]["args"][0]).shape == (1, 2)


def test_log_restarts_with_every_hypothesis_example():
    impl = Implementation("toy", {"l2_penalty": lambda W, reg: (0.5 * reg * float(np.sum(W * W)),
                                                                reg * W)})
    log = CallLog()
    recorded = RecordingImplementation(impl, log)
    seen = []

    @settings(max_examples=5, database=None)
    @given(st.floats(0, 1))
    def prop(reg):
        recorded.call("l2_penalty", np.ones(2), reg)
        recorded.call("l2_penalty", np.ones(2), reg)
        seen.append(len(log.calls))

    prop()
    assert seen and set(seen) == {2}


def test_opaque_inputs_mark_the_example_incomplete():
    impl = Implementation("toy", {"l2_penalty": lambda W, reg: (0.0, W)})
    log = CallLog()
    RecordingImplementation(impl, log).call("l2_penalty", np.ones(2), object())
    block = serialise_calls(log)
    assert block["complete"] is False and "reason" in block


def test_find_failure_by_id_name_or_number():
    report = {"components": [{"name": "svm_loss", "invariants": [
        {"invariant": "a", "status": "failed"}, {"invariant": "b", "status": "passed"},
        {"invariant": "c", "status": "error"}]}]}
    assert find_failure(report, "svm_loss::a")["invariant"] == "a"
    assert find_failure(report, "c")["id"] == "svm_loss::c"
    assert find_failure(report, "2")["invariant"] == "c"
    with pytest.raises(LookupError, match="svm_loss::a"):
        find_failure(report, "b")


def test_repro_script_accepts_either_sign_of_a_principal_axis(tmp_path):
    """A PCA whose axes point the other way conforms (the sign is free): no disagreement."""
    import subprocess
    import sys
    import textwrap

    from nncheck.adapters.module import from_file
    from nncheck.report.repro import repro_script

    path = tmp_path / "flipped.py"
    path.write_text(textwrap.dedent("""
        from nncheck.reference.preprocessing import PCA

        class Flipped(PCA):
            def transform(self, X):
                return -super().transform(X)

        def pca(n_components=None):
            return Flipped(n_components)
    """))
    log = CallLog()
    recorded = RecordingImplementation(from_file(str(path), {}), log)
    X = np.random.default_rng(0).normal(size=(6, 3))
    recorded.call("pca").fit(X).transform(X[:2])
    report = {"implementation": {"name": "flipped", "spec": str(path), "source": f"file {path}"},
              "run": {"seed": 0}, "nncheck_version": "x", "schema_version": "1.1"}
    failure = {"id": "pca::x", "status": "failed", "message": "m", "description": "d",
               "example": serialise_calls(log)}
    script = tmp_path / "repro.py"
    script.write_text(repro_script(report, failure))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "flipped in sign" in done.stdout and "agrees with the reference" in done.stdout


# ------------------------------------------------- re-run commands and repro scripts: conventions

def _report(spec, conventions, source="", seed=5, profile="dev"):
    return {"implementation": {"name": "x", "spec": spec, "source": source,
                               "conventions": conventions},
            "run": {"seed": seed, "profile": profile}}


def test_rerun_command_carries_every_convention_the_profile_and_the_seed():
    from nncheck.report.repro import rerun_command

    report = _report("my layers.py", {"dropout_p": "drop", "linear_reg": "half"})
    assert rerun_command(report, "total_objective") == (
        "nncheck check --impl 'my layers.py' --convention dropout_p=drop "
        "--convention linear_reg=half --component total_objective --profile dev --seed 5")
    bare = _report("reference", {}, seed=None, profile=None)
    assert rerun_command(bare, "svm_loss") == "nncheck check --impl reference --component svm_loss"


def test_both_renderers_use_the_run_conventions():
    """report.md's and report.html's re-run lines are the same command (rerun_command)."""
    from nncheck.report.html import repro_snippet
    from nncheck.report.markdown import render_markdown

    report = _report("layers", {"path": "/w/a b.py", "dropout_p": "drop", "linear_reg": "full"},
                     source="file /w/a b.py (course layers.py API; conventions ...)")
    report.update(schema_version="1.4", nncheck_version="x", environment={
        "python": "3", "platform": "p", "packages": {}}, not_run=[], measurements=[])
    report["run"].update(duration_s=1, finished="now", interrupted=None)
    report["implementation"].update(version="", components=["dropout_forward"], deviations=[],
                                    not_written=[])
    inv = {"invariant": "dropout_keeps_p", "status": "failed", "message": "m",
           "description": "d", "counterexample": "", "reproduce": "", "example": None}
    report["components"] = [{"name": "dropout_forward", "status": "failed", "invariants": [inv]}]
    report["summary"] = {"passed": 0, "failed": 1, "error": 0, "not-implemented": 0,
                         "deviation": 0, "total": 1, "complete": True, "not_run": 0,
                         "conforms": False, "unchecked_components": []}
    want = ("nncheck check --impl layers --convention 'path=/w/a b.py' --convention "
            "dropout_p=drop --convention linear_reg=full --component dropout_forward "
            "--profile dev --seed 5")
    assert want in render_markdown(report).splitlines()
    failure = {**inv, "id": "dropout_forward::dropout_keeps_p", "component": "dropout_forward"}
    assert repro_snippet(report, failure).splitlines()[-1] == want


def test_repro_script_replays_a_course_file_with_the_run_conventions(tmp_path):
    """A course-style file is rebuilt by the adapter with CONVENTIONS: declared ``half`` on
    the course's ``full`` file reproduces the disagreement; without it (detected ``full``)
    the same calls agree with the reference."""
    import subprocess
    import sys
    from pathlib import Path

    from nncheck.adapters import load
    from nncheck.report.repro import repro_script

    course = Path(__file__).parent / "course" / "layers_correct.py"
    impl = load(str(course), {"dropout_p": "drop", "linear_reg": "half"})
    log = CallLog()
    rng = np.random.default_rng(0)
    W, X, y = rng.normal(size=(3, 4)), rng.normal(size=(5, 3)), np.array([0, 1, 2, 3, 0])
    RecordingImplementation(impl, log).call("linear_svm_loss", W, X, y, 0.5)
    report = {"implementation": {"name": "layers_correct", "spec": "tests/course/x.py",
                                 "source": impl.source, "conventions": impl.conventions},
              "run": {"seed": 0}, "nncheck_version": "x", "schema_version": "1.4"}
    failure = {"id": "linear_svm_loss::x", "status": "failed", "message": "m",
               "description": "d", "example": serialise_calls(log)}
    text = repro_script(report, failure)
    assert f"SPEC = sys.argv[1] if len(sys.argv) > 1 else {str(course.resolve())!r}" in text
    assert "CONVENTIONS = {'dropout_p': 'drop', 'linear_reg': 'half'}" in text
    assert "LOADER = 'adapter'" in text and "(needs numpy, nncheck's adapters" in text
    script = tmp_path / "repro.py"

    def replay(source):
        script.write_text(source)
        return subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)

    done = replay(text)
    assert done.returncode == 1 and "REPRODUCED" in done.stdout, done.stdout + done.stderr
    done = replay(text.replace("CONVENTIONS = {'dropout_p': 'drop', 'linear_reg': 'half'}",
                               "CONVENTIONS = {'dropout_p': 'drop'}"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "output[1] agrees with the reference" in done.stdout
