"""A misbehaving implementation gets a verdict per invariant, and the run goes on."""

from __future__ import annotations

import textwrap

import pytest

from nncheck.api import check, verdicts

GOOD_SVM = '''
def svm_loss(scores, y):
    from nncheck.reference.losses import svm_loss as ref
    return ref(scores, y)
'''

HOSTILE = {
    "raises": ("raise ValueError('boom')", "error", "raised ValueError: boom"),
    "exits": ("import sys; sys.exit(3)", "error", "raised SystemExit"),
    "nan": ("return float('nan'), np.zeros_like(scores)", "failed", "not finite"),
    "nan_gradient": ("return 1.0, np.full_like(scores, np.nan)", "failed", "non-finite"),
    "wrong_shape": ("return 1.0, np.zeros((1, 1))", "failed", "has shape (1, 1)"),
    "wrong_dtype": ("return 1.0, np.zeros(scores.shape, dtype=np.float32)", "failed",
                    "dtype float32"),
    "list": ("return 1.0, np.zeros_like(scores).tolist()", "failed", "got list"),
    "single_value": ("return 1.0", "failed", "tuple of 2 values"),
    "mutates": ("scores -= scores.max(); return 1.0, np.zeros_like(scores)", "failed",
                "mutated its input"),
    "inf": ("return float('inf'), np.zeros_like(scores)", "failed", "not finite"),
    "odd_exception": ("class Odd(BaseException): pass\nraise Odd('not even an Exception')",
                      "error", "raised Odd: not even an Exception"),
    "prints": ("print('chatty ' * 500)\nfrom nncheck.reference.losses import softmax_loss\n"
               "return softmax_loss(scores, y)", "passed", ""),
}


def _write_impl(tmp_path, name, body):
    path = tmp_path / f"{name}.py"
    source = "import numpy as np\n\ndef softmax_loss(scores, y):\n" + textwrap.indent(body, "    ")
    path.write_text(source + "\n" + GOOD_SVM)
    return path


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_softmax_gets_a_verdict_and_the_run_goes_on(tmp_path, case):
    body, status, fragment = HOSTILE[case]
    report = check(str(_write_impl(tmp_path, case, body)), profile="dev", seed=0, use_database=False)
    got = verdicts(report)
    softmax = {k: v for k, v in got.items() if k.startswith("softmax_loss::")}
    assert softmax and set(softmax.values()) == {status}, softmax
    messages = [i["message"] for c in report["components"] if c["name"] == "softmax_loss"
                for i in c["invariants"]]
    assert all(fragment in m for m in messages), messages[0]
    svm = {k: v for k, v in got.items() if k.startswith("svm_loss::")}
    assert svm and set(svm.values()) == {"passed"}, "the run must go on past a hostile component"


def test_missing_components_are_counted_not_hidden(tmp_path):
    path = tmp_path / "only_svm.py"
    path.write_text(GOOD_SVM)
    report = check(str(path), profile="dev", seed=0, use_database=False)
    summary = report["summary"]
    assert summary["passed"] > 0 and summary["not-implemented"] > 0
    assert summary["total"] == summary["passed"] + summary["not-implemented"]
    statuses = {c["name"]: c["status"] for c in report["components"]}
    assert statuses["softmax_loss"] == "not-implemented"
    assert "softmax_loss" not in report["implementation"]["components"]
