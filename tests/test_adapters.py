"""Tests of the adapters themselves: the course layers.py API, the template, the libraries.

The course files in ``tests/course/`` are run through the whole suite: the correct one must
conform, and the buggy one must fail exactly on the components whose bugs it documents.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import numpy as np
import pytest

from nncheck.adapters import load
from nncheck.adapters.conventions import NORM_GUARD_BOUND
from nncheck.adapters.layers import is_course_module
from nncheck.adapters.module import load_file_as_module
from nncheck.api import check, list_invariants
from nncheck.errors import UsageError

COURSE = Path(__file__).parent / "course"
CORRECT = COURSE / "layers_correct.py"
BUGGY = COURSE / "layers_buggy.py"
HALF_REG = COURSE / "layers_reg_half.py"  # 0.5 * reg * sum(W * W), gradient reg * W
MIXED_REG = COURSE / "layers_reg_mixed.py"  # loss 0.5 * reg * ..., gradient 2 * reg * W
LINEAR = ["linear_svm_loss", "total_objective"]


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
        "batchnorm_running_update", "batchnorm_backward", "batchnorm_backward_alt",
        "dropout_forward",
        "dropout_backward", "linear_svm_loss", "total_objective"}
    assert {d.component for d in impl.deviations} == {"linear_svm_loss", "total_objective"}
    assert "course layers.py API" in impl.source


def test_native_file_is_not_taken_for_a_course_file():
    broken = Path(__file__).parent / "mutants" / "svm_clips_scores.py"
    assert not is_course_module(load_file_as_module(broken))


def test_correct_course_file_conforms():
    impl = load(str(CORRECT))
    components = _checked(impl)
    assert {"softmax_loss", "svm_loss", "linear_svm_loss", "total_objective"} <= set(components)
    report = check(str(CORRECT), components=components, seed=0)
    statuses = _statuses(report)
    assert report["summary"]["conforms"], statuses
    assert statuses["linear_svm_loss"] == "deviation"  # the declared reg / 2 mapping
    assert statuses["softmax_loss"] == "passed"
    # the detected L2 convention is recorded, so a re-run loads the file the same way
    assert report["implementation"]["conventions"] == {"linear_reg": "full"}


def test_correct_course_file_naive_twins_conform():
    impl = load(str(CORRECT), {"linear": "naive"})
    assert impl.raw("linear_svm_loss").__name__ == "svm_loss_naive"
    assert impl.raw("total_objective").__name__ == "softmax_loss_naive"
    report = check(str(CORRECT), components=["linear_svm_loss", "total_objective"], seed=0,
                   conventions=["linear=naive"])
    assert report["summary"]["conforms"], _statuses(report)


def test_buggy_course_file_fails_on_the_right_components():
    """Each documented bug fails its component; the correct parts next to them still pass.

    (The correct file's run above covers every component; here the buggy components and a
    few correct ones re-exported beside them keep the run short.)
    """
    module = load_file_as_module(BUGGY)
    must_fail = set(module.MUST_FAIL_COMPONENTS)
    assert must_fail == {"svm_loss", "total_objective", "batchnorm_running_update",
                         "dropout_forward"}
    must_pass = {"softmax_loss", "linear_svm_loss", "batchnorm_backward", "dropout_backward"}
    assert must_fail | must_pass <= set(_checked(load(str(BUGGY))))
    statuses = _statuses(check(str(BUGGY), components=sorted(must_fail | must_pass), seed=0,
                               profile="dev"))
    assert {c for c, s in statuses.items() if s == "failed"} == must_fail, statuses
    # dropout_backward runs on this file's own (failing) dropout_forward: what fails there
    # is blocked, waiting for dropout_forward, never blamed on the backward pass.
    assert statuses.pop("dropout_backward") in ("passed", "blocked"), statuses
    assert {c for c, s in statuses.items() if s in ("passed", "deviation")} == \
        must_pass - {"dropout_backward"}, statuses


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


def test_a_drop_probability_course_file_conforms_once_declared():
    """Both dropout conventions of the course files: a correct 2016-style file (p drops a
    unit) conforms with --convention dropout_p=drop, and as is it fails with the hint."""
    path = str(Path(__file__).parent / "course" / "layers_dropout_drop.py")
    dropout = ["dropout_forward", "dropout_backward"]
    declared = check(path, components=dropout, conventions=["dropout_p=drop"], seed=0,
                     use_database=False)
    statuses = {i["status"] for c in declared["components"] for i in c["invariants"]}
    assert statuses <= {"passed", "deviation"} and declared["summary"]["conforms"], statuses
    as_is = check(path, components=["dropout_forward"], seed=0, use_database=False)
    failed = [i for c in as_is["components"] for i in c["invariants"] if i["status"] == "failed"]
    assert failed and any("dropout_p=drop" in i["hint"] for i in failed), failed


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
    # The stub is left out at load (tests/test_stubs.py); the real error stays an error.
    assert sorted(impl.functions) == ["total_objective"]
    assert impl.not_written == ["svm_loss_naive"]
    report = check(str(partial), seed=0,
                   components=["linear_svm_loss", "total_objective", "softmax_loss"])
    assert _statuses(report) == {"linear_svm_loss": "not-implemented",
                                 "total_objective": "error",
                                 "softmax_loss": "not-implemented"}


# ------------------------------------------ the linear classifiers' L2 term (linear_reg)

def _reasons(impl) -> dict[str, str]:
    return {d.component: d.reason for d in impl.deviations if d.component in LINEAR}


def test_linear_reg_is_detected_and_the_deviation_says_so():
    full, half, mixed, buggy = (load(str(f)) for f in (CORRECT, HALF_REG, MIXED_REG, BUGGY))
    assert full.conventions == {"linear_reg": "full"}
    assert all(r.startswith("detected: ") and "passes reg / 2" in r
               for r in _reasons(full).values()), _reasons(full)
    assert half.conventions == {"linear_reg": "half"}
    assert _reasons(half)["linear_svm_loss"] == (
        "detected: svm_loss_vectorized adds 0.5 * reg * sum(W * W) (gradient reg * W), "
        "nncheck's own convention; reg is passed as is")
    # loss and gradient disagree: nothing detected, the course's convention assumed, said so
    assert mixed.conventions == {}
    for reason in _reasons(mixed).values():
        assert reason.startswith("assumed --convention linear_reg=full"), reason
        assert "could not be detected (its loss adds 0.5 * reg * sum(W * W) but its " \
               "gradient 2 * reg * W)" in reason and "linear_reg=half" in reason
    # one function detected, the other not (its gradient lacks the reg term): nothing is
    # recorded, or a re-run would force the detected value on the other one too
    assert buggy.conventions == {}
    assert _reasons(buggy)["linear_svm_loss"].startswith("detected: ")
    assert "gradient no reg term" in _reasons(buggy)["total_objective"]
    declared = load(str(CORRECT), {"linear_reg": "half"})
    assert declared.conventions == {"linear_reg": "half"}
    assert "looks like --convention linear_reg=full" in _reasons(declared)["linear_svm_loss"]
    with pytest.raises(UsageError, match="linear_reg takes full or half"):
        load(str(CORRECT), {"linear_reg": "quarter"})


def test_linear_reg_mapping_passes_the_right_reg():
    rng = np.random.default_rng(3)
    W, X, y = rng.normal(size=(4, 3)), rng.normal(size=(6, 4)), np.array([0, 1, 2, 0, 1, 2])
    ref = load("reference")
    want = ref.call("linear_svm_loss", W, X, y, 0.8)
    for path in (CORRECT, HALF_REG):
        got = load(str(path)).call("linear_svm_loss", W, X, y, 0.8)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def test_the_probe_never_guesses_and_never_breaks_loading(monkeypatch):
    from nncheck.adapters import layers

    def raises(W, X, y, reg):
        raise ValueError("not finished")

    def hangs(W, X, y, reg):
        while True:
            pass

    def nothing(W, X, y, reg):
        return None

    def wrong_shape(W, X, y, reg):
        return 0.5 * reg * np.sum(W * W), np.zeros(3)

    def quadratic(W, X, y, reg):  # reg**2: neither convention at both probe values
        return reg ** 2 * np.sum(W * W), 2 * reg ** 2 * W

    def half(W, X, y, reg):
        return 1.0 + 0.5 * reg * np.sum(W * W), np.ones_like(W) + reg * W

    monkeypatch.setattr(layers, "_PROBE_SECONDS", 0.3)
    for fn in (raises, hangs, nothing, wrong_shape, quadratic):
        found, why = layers.detect_linear_reg(fn)
        assert found is None and why, fn.__name__
    assert "did not return within" in layers.detect_linear_reg(hangs)[1]
    assert layers.detect_linear_reg(raises)[1] == ("it raised ValueError: not finished on a "
                                                   "small input")

    def capped(W, X, y, reg):  # full up to reg = 1, then capped: not proportional to reg
        r = min(reg, 1.0)
        return r * np.sum(W * W), 2 * r * W

    assert layers.detect_linear_reg(capped) == (
        None, "its reg term does not grow in proportion to reg")
    assert layers.detect_linear_reg(half) == ("half", "")


def test_half_reg_course_file_conforms_without_a_flag():
    report = check(str(HALF_REG), components=LINEAR, seed=0)
    assert report["summary"]["conforms"], _statuses(report)
    assert report["implementation"]["conventions"] == {"linear_reg": "half"}


@pytest.mark.parametrize("conventions", [[], ["linear_reg=half"], ["linear_reg=full"]])
def test_self_contradictory_reg_still_fails(conventions):
    """Loss and gradient in different conventions: no detection and no declaration hides it."""
    report = check(str(MIXED_REG), components=LINEAR, seed=0, profile="dev",
                   conventions=conventions)
    assert _statuses(report) == dict.fromkeys(LINEAR, "failed")


def test_declared_half_on_a_full_file_fails():
    report = check(str(CORRECT), components=LINEAR, seed=0, profile="dev",
                   conventions=["linear_reg=half"])
    assert _statuses(report) == dict.fromkeys(LINEAR, "failed")


def test_rerun_lines_carry_declared_and_detected_conventions(tmp_path):
    """A run with --convention dropout_p=drop on a file whose 0.5 * reg is detected: the
    re-run line of report.md and of report.html checks the same thing (both conventions)."""
    from nncheck.report.html import repro_snippet
    from nncheck.report.markdown import render_markdown
    from nncheck.report.repro import failures

    path = tmp_path / "half_reg_broken_svm.py"
    path.write_text(HALF_REG.read_text(encoding="utf-8") + (
        "\n\ndef svm_loss(x, y):  # BUG: no margin, no average\n"
        "    return float(x.sum()), np.ones_like(x)\n"), encoding="utf-8")
    report = check(str(path), components=["svm_loss"], seed=0, profile="dev",
                   conventions=["dropout_p=drop"])
    assert report["implementation"]["conventions"] == {"dropout_p": "drop", "linear_reg": "half"}
    want = (f"nncheck check --impl {shlex.quote(str(path))} --convention dropout_p=drop "
            "--convention "
            "linear_reg=half --component svm_loss --profile dev --seed 0")
    assert want in render_markdown(report).splitlines()
    found = failures(report)
    assert found and all(repro_snippet(report, f).splitlines()[-1] == want for f in found)


# ------------------------------------------------------------------------ nncheck template

def test_template_loads_and_reports_everything_not_implemented(tmp_path, capsys):
    import ast

    from nncheck.cli import main
    from nncheck.contract import COMPONENTS, by_section

    path = tmp_path / "mine.py"
    assert main(["template", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    defined = [n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef)]
    assert defined == list(COMPONENTS)  # generated from the contract: never stale
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            assert ast.get_docstring(node), node.name
            last = node.body[-1]
            assert isinstance(last, ast.Raise) and "NotImplementedError" in ast.unparse(last)
    impl = load(str(path))
    # Every function is a stub, so every one is left out as not written yet.
    assert not impl.functions and impl.not_written == sorted(COMPONENTS)
    assert "course" not in impl.source  # the native contract, not the course API
    # One component of each section (estimator, seeded init, cache-passing, losses) is enough
    # to see the stubs reported as not-implemented; every function body is the same raise.
    components = [comps[0].name for comps in by_section().values()] + ["dropout_backward"]
    report = check(str(path), seed=0, profile="dev", components=components)
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


# ------------------------------------------------------------------ library adapters (fast)
# Direct calls only: the full suite against a library is `nncheck check --impl torch` (the tox
# env of that ecosystem), and its result is committed under reports/.

def _reference():
    return load("reference")


def test_torch_adapter_maps_conventions_onto_the_contract():
    pytest.importorskip("torch")
    torch_impl, ref = load("torch"), _reference()
    rng = np.random.default_rng(1)
    scores, y = rng.normal(size=(5, 4)) * 3, np.array([0, 3, 1, 1, 2])
    for name in ("softmax_loss", "svm_loss", "squared_hinge_loss"):
        got, want = torch_impl.call(name, scores, y), ref.call(name, scores, y)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-15)
    targets = rng.normal(size=(5, 4))
    for name in ("l2_regression_loss", "l1_regression_loss"):
        np.testing.assert_allclose(torch_impl.call(name, scores, targets)[0],
                                   ref.call(name, scores, targets)[0], rtol=1e-12)
    x = np.ones((200, 100))
    kept = (torch_impl.call("dropout_forward", x, 0.8, "train", 5)[0] != 0).mean()
    assert 0.75 < kept < 0.85  # 20000 draws at keep 0.8: the torch p=1-p mapping
    rm, rv = rng.normal(size=4), rng.uniform(1, 2, size=4)
    np.testing.assert_allclose(torch_impl.call("batchnorm_running_update", rm, rv, scores, 0.9),
                               ref.call("batchnorm_running_update", rm, rv, scores, 0.9),
                               rtol=1e-12)
    W = torch_impl.call("he_init", 30, 7, 0)
    assert W.shape == (30, 7)  # [fan_in x fan_out] although torch stores [out x in]
    # sparse_ as torch users call it: on the [out x in] weight, a fixed count of zeros per
    # input (row of the contract's W), so the count per neuron (column) varies
    sparse = torch_impl.call("sparse_init", 9, 60, 0, 4)
    assert sparse.shape == (9, 60)
    assert len(set((sparse != 0).sum(axis=1))) == 1  # per input: ceil(5/9 * 60) = 34 zeros
    assert len(set((sparse != 0).sum(axis=0))) > 1  # per neuron: not k
    guarded = torch_impl.call("max_norm_project", np.array([[2.0], [0.0]]), 1.0)
    assert guarded[0, 0] == pytest.approx(2.0 / (2.0 + 1e-7), rel=1e-15)  # renorm's guard


def test_torch_adapter_does_not_map_the_batchnorm_bug_away():
    pytest.importorskip("torch")
    from nncheck.errors import ImplementationRaised

    torch_impl = load("torch")
    with pytest.raises(ImplementationRaised, match="more than 1 value per channel"):
        torch_impl.call("batchnorm_train", np.ones((1, 3)), np.ones(3), np.zeros(3))


def test_torch_declares_every_mapped_difference():
    pytest.importorskip("torch")
    deviations = load("torch").deviations
    declared = {d.component for d in deviations if d.kind == "mapped"}
    assert {"dropout_forward", "dropout_backward", "batchnorm_running_update", "svm_loss",
            "squared_hinge_loss", "logistic_loss", "l2_regression_loss", "l1_regression_loss",
            "l2_penalty", "max_norm_project", "sparse_init", "he_init", "bias_init"} <= declared
    assert {"softmax_loss", "batchnorm_train"}.isdisjoint(declared)  # nothing to map there
    # BatchNorm's documented refusals (N = 1, eps = 0) name their invariants, one each.
    refusals = {(d.component, d.invariant) for d in deviations if d.kind == "refusal"}
    assert ("batchnorm_train", "batchnorm_train_single_row_outputs_beta") in refusals
    assert all(invariant != "*" for _, invariant in refusals)
    # renorm's 1e-7 guard: the bound Keras MaxNorm declares too
    (guard,) = [d for d in deviations if d.kind == "expected-failure"]
    assert (guard.invariant, guard.bound) == ("max_norm_matches_reference", NORM_GUARD_BOUND)


def test_sklearn_adapter_maps_pca_layout_and_population_variance():
    pytest.importorskip("sklearn")
    sk, ref = load("sklearn"), _reference()
    X = np.random.default_rng(2).normal(size=(30, 4)) @ np.diag([3.0, 2.0, 1.0, 0.5])
    got, want = sk.call("pca").fit(X), ref.call("pca").fit(X)
    np.testing.assert_allclose(got.explained_variance_, want.explained_variance_, rtol=1e-10)
    assert got.components_.shape == (4, 4)
    np.testing.assert_allclose(np.abs(got.components_), np.abs(want.components_), atol=1e-10)
    white = sk.call("whitening").fit(X).transform(X)
    np.testing.assert_allclose(white.T @ white / len(X), np.eye(4), atol=1e-10)
    scaler = sk.call("minmax_scaling").fit(X)
    assert scaler.transform(X).min() == pytest.approx(-1.0)


def test_library_adapters_reject_options():
    pytest.importorskip("sklearn")
    with pytest.raises(UsageError, match="does not know convention"):
        load("sklearn", {"dropout_p": "drop"})
