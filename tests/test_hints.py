"""Failure messages in the user's terms (nncheck.hints, nncheck.messages, nncheck.usercalls).

Every row of the hint table fires on a real broken implementation (``tests/mutants/``, or
``tests/hint_cases/`` where the corpus has none) and stays silent on correct code and on
unrelated failures; every cleaning rule is checked on a real failure; a course file's
failures name its function as written, with the arguments it received.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from nncheck.api import check
from nncheck.compare import Mismatch, assert_close
from nncheck.errors import ContractViolation
from nncheck.hints import HINTS, hint_for
from nncheck.messages import clean_counterexample, clean_message, clean_reproduce
from nncheck.runtime.calling import check_output

HERE = Path(__file__).parent
MUTANTS, CASES, COURSE = HERE / "mutants", HERE / "hint_cases", HERE / "course"


@functools.cache
def _verdicts(path: Path, components: tuple[str, ...],
              conventions: tuple[str, ...] = ()) -> dict[str, dict]:
    report = check(str(path), components=components, profile="ci", seed=0,
                   use_database=False, conventions=conventions)
    return {v["invariant"]: v for c in report["components"] for v in c["invariants"]}


def _failed(path, components, conventions=()) -> dict[str, dict]:
    found = {k: v for k, v in _verdicts(path, tuple(components), tuple(conventions)).items()
             if v["status"] == "failed"}
    assert found, f"{path.name} failed nothing"
    return found


# ------------------------------------------------------------------ the table, row by row

def test_every_row_names_a_test_here():
    names = [row.name for row in HINTS]
    assert len(names) == len(set(names)) and 6 <= len(names) <= 8
    module = sys.modules[__name__]
    missing = [row.test for row in HINTS if not callable(getattr(module, row.test, None))]
    assert not missing, f"hint rows without their test: {missing}"


@pytest.mark.slow
def test_hint_mutated_input():
    failed = _failed(MUTANTS / "loss_softmax_mutates_large_batches.py", ["softmax_loss"])
    hint = failed["softmax_matches_reference"]["hint"]
    assert "changed in place" in hint and "copy" in hint


@pytest.mark.slow
@pytest.mark.parametrize("mutant, component, invariant, says", [
    ("softmax_unstable", "softmax_loss", "softmax_stable_for_large_scores", "max score"),
    ("loss_logistic_unstable", "logistic_loss", "logistic_stable_for_large_scores",
     "logaddexp"),
])
def test_hint_log_sum_exp(mutant, component, invariant, says):
    hint = _failed(MUTANTS / f"{mutant}.py", [component])[invariant]["hint"]
    assert "log-sum-exp" in hint and says in hint


@pytest.mark.slow
def test_hint_keepdims():
    failed = _failed(CASES / "bn_dgamma_keepdims.py", ["batchnorm_train", "batchnorm_backward"])
    hinted = [v["hint"] for v in failed.values() if "keepdims=True" in v["hint"]]
    assert hinted and all("where (" in h for h in hinted)


def test_hint_keepdims_from_a_contract_shape_violation():
    """A (1, D) output where the contract says like:x of shape (D,)."""
    x = np.ones(4)
    with pytest.raises(ContractViolation) as info:
        check_output(x[None, :], "like:x", {"x": x}, "impl.max_norm_project output 1")
    assert "keepdims=True" in hint_for("max_norm_project", "inv", [info.value])
    with pytest.raises(ContractViolation) as info:  # a different shape: no keepdims hint
        check_output(np.ones(3), "like:x", {"x": x}, "impl.max_norm_project output 1")
    assert hint_for("max_norm_project", "inv", [info.value]) == ""


@pytest.mark.slow
def test_hint_eps_outside_sqrt():
    failed = _failed(MUTANTS / "bn_eps_outside_sqrt.py", ["batchnorm_train"])
    for invariant in ("batchnorm_train_matches_reference",
                      "batchnorm_train_mean_is_beta_std_is_gamma"):
        assert "sqrt(var + eps)" in failed[invariant]["hint"], invariant


@pytest.mark.slow
def test_hint_drop_vs_keep():
    failed = _failed(MUTANTS / "dropout_p_is_drop_probability.py",
                     ["dropout_forward", "dropconnect_forward"])
    for invariant in ("dropout_keeps_fraction_p", "dropconnect_keeps_fraction_p_of_weights"):
        assert "--convention dropout_p=drop" in failed[invariant]["hint"], invariant
    # its NaNs at p = 1 (a division by 1 - p) are not an overflow of exp: no hint there
    assert failed["dropout_p_one_is_identity"]["hint"] == ""


@pytest.mark.slow
@pytest.mark.parametrize("mutant, component, invariant, says", [
    ("svm_gradient_not_averaged", "svm_loss", "svm_matches_reference",
     "x expected everywhere: a missing or extra division by N"),
    ("reg_l2_gradient_doubled", "l2_penalty", "l2_matches_reference", "actual = 2 x expected"),
    # a gradient check's analytic vs numeric values (no logged calls: N from the input)
    ("svm_gradient_not_averaged", "svm_loss", "svm_gradient_matches_numeric",
     "65 (N, the batch size) x expected"),
    ("reg_l2_gradient_doubled", "l2_penalty", "l2_gradient_matches_numeric",
     "actual = 2 x expected"),
    ("loss_attribute_hinge_averaged_over_attributes", "attribute_hinge_loss",
     "attribute_hinge_matches_reference", "(C, the number of classes)"),
])
def test_hint_constant_factor(mutant, component, invariant, says):
    hint = _failed(MUTANTS / f"{mutant}.py", [component])[invariant]["hint"]
    assert says in hint


def test_hint_constant_factor_reads_the_numbers():
    expected = np.array([[0.5, -0.25], [1.0, 0.0]])
    scores = np.zeros((4, 2))
    example = {"calls": [{"component": "svm_loss", "method": None, "target": None,
                          "args": [{"type": "ndarray", "dtype": "<f8", "shape": [4, 2],
                                    "data": scores.ravel().tolist()}], "kwargs": {}}]}

    def hint(actual):
        try:
            assert_close(actual, expected, rtol=1e-9, atol=0, name="svm_loss dscores")
        except Mismatch as exc:
            return hint_for("svm_loss", "svm_matches_reference", [exc], example)
        return "passed"

    assert "4 (N, the batch size)" in hint(expected * 4)
    assert "expected / 4 (N" in hint(expected / 4)
    assert "2 x expected" in hint(expected * 2)
    assert hint(expected * 1.5) == ""  # not a known factor
    assert hint(-expected) == ""  # a sign flip is not a missing division
    assert hint(expected * 4 + np.array([[0, 0], [0, 1.0]])) == ""  # not one constant


# ------------------------------------------------------------------ no false hints

@pytest.mark.slow
@pytest.mark.parametrize("path, components", [
    (MUTANTS / "bn_running_momentum_swapped.py", ["batchnorm_running_update"]),
    (MUTANTS / "softmax_sign_flipped.py", ["softmax_loss"]),
    (MUTANTS / "svm_counts_target_class.py", ["svm_loss"]),
])
def test_unrelated_failures_get_no_hint(path, components):
    hinted = {k: v["hint"] for k, v in _failed(path, components).items() if v["hint"]}
    assert not hinted


@pytest.mark.slow
def test_correct_code_gets_no_hint():
    verdicts = _verdicts(COURSE / "layers_correct.py",
                         ("batchnorm_train", "dropout_forward", "linear_svm_loss"))
    assert verdicts and all(v["status"] != "failed" and not v.get("hint")
                            for v in verdicts.values())


# ------------------------------------------------------------------ cleaning rules

@pytest.mark.slow
def test_messages_drop_pytest_assertion_rewriting():
    failed = _failed(MUTANTS / "bn_running_momentum_swapped.py", ["batchnorm_running_update"])
    message = failed["batchnorm_running_stats_converge_to_data_statistics"]["message"]
    assert "outside its calibrated interval" in message
    assert "np.False_" not in message and "where" not in message
    failed = _failed(CASES / "bn_dgamma_keepdims.py", ["batchnorm_train", "batchnorm_backward"])
    message = failed["batchnorm_backward_matches_autograd"]["message"]
    assert "dgamma has shape (1, 1)" in message
    assert "Left contains" not in message and "Use -v" not in message


def test_clean_message_keeps_a_bare_assert():
    assert clean_message("assert x >= 0") == "assert x >= 0"
    assert clean_message("loss -1 < 0\nassert -1 >= 0.0") == "loss -1 < 0"


@pytest.mark.slow
def test_counterexamples_show_drawn_values_not_data():
    failed = _failed(MUTANTS / "bn_running_momentum_swapped.py", ["batchnorm_running_update"])
    example = failed["batchnorm_running_stats_converge_to_data_statistics"]["counterexample"]
    assert "data=data(...)" not in example
    assert "Draw 1 (D):" in example and "Draw 3 (sigma):" in example
    # two failing examples: each lists its own draws, once
    assert example.count("Failing test case") == example.count("Draw 1 (D):")


def test_clean_counterexample_without_draws_is_unchanged():
    text = "Falsifying example: t(\n    x=1,\n    data=data(...),\n)"
    assert clean_counterexample(text, []) == text
    cleaned = clean_counterexample(text, ["Draw 1: 3", "Draw 2 (b): array([1.,\n 2.])"])
    assert "data=data(...)" not in cleaned and "#   Draw 2 (b): array([1.," in cleaned


@pytest.mark.slow
def test_reproduce_keeps_only_the_blob():
    failed = _failed(MUTANTS / "softmax_unstable.py", ["softmax_loss"])
    blob = failed["softmax_stable_for_large_scores"]["reproduce"]
    assert re.fullmatch(r"@reproduce_failure\('[^']+', b'[^']*'\)", blob), blob
    assert clean_reproduce("no blob here") == "no blob here"


# ------------------------------------------------------------------ the user's function

@pytest.mark.slow
def test_course_failures_name_the_function_as_written():
    failed = _failed(COURSE / "layers_buggy.py", ["dropout_forward", "total_objective",
                                                  "batchnorm_running_update"])
    assert re.search(r"\nin your call dropout_forward\(x, dropout_param=\{'p': 0\.25, "
                     r"'mode': 'train', 'seed': \d+\}\)$",
                     failed["dropout_keeps_fraction_p"]["message"])
    assert ("in your call batchnorm_forward(x, ones(D), zeros(D), bn_param={'mode': 'train'"
            in failed["batchnorm_running_update_matches_reference"]["message"])
    verdict = failed["total_objective_matches_reference"]
    shown = re.search(r"in your call softmax_loss_vectorized\(W, X, y, reg=([^)]+)\)$",
                      verdict["message"])
    reg = [c for c in verdict["example"]["calls"] if c["component"] == "total_objective"][-1]
    assert shown and float(shown.group(1)) == pytest.approx(reg["args"][3]["value"] / 2,
                                                           rel=1e-5)


@pytest.mark.slow
def test_course_call_shows_p_after_the_drop_convention():
    failed = _failed(COURSE / "layers_correct.py", ["dropout_forward"], ["dropout_p=drop"])
    assert failed
    for verdict in failed.values():
        if verdict["example"]:
            call = [c for c in verdict["example"]["calls"] if c["component"] == "dropout_forward"]
            p = call[-1]["args"][1]["value"]
        else:  # a statistical invariant stores no calls; its message names the contract's p
            p = float(re.search(r"at p=([0-9.e+-]+)", verdict["message"]).group(1))
        shown = re.search(r"dropout_param=\{'p': ([^,]+),", verdict["message"])
        assert shown and float(shown.group(1)) == pytest.approx(1 - p, rel=1e-5)


@pytest.mark.slow
def test_native_failures_name_no_course_function():
    failed = _failed(MUTANTS / "svm_gradient_not_averaged.py", ["svm_loss"])
    assert not [v for v in failed.values() if "in your call" in v["message"]]
