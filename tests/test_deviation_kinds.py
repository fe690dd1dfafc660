"""Declared deviations: a documented refusal of an edge regime is its own verdict, and a
deviation naming an invariant takes precedence over the component's (issue 17, item 6).

The implementations are built by a factory in a module written here (``refusing:factory``,
found from the current folder), the way an adapter builds one, so they declare deviations.
"""

from __future__ import annotations

import textwrap

import pytest

from nncheck.api import check
from nncheck.implementation import Deviation, Implementation

FACTORY = '''
import numpy as np
from nncheck.implementation import Deviation, Implementation
from nncheck.reference import batchnorm as ref

REFUSAL = "refuses a training batch of one row (documented)"


def batchnorm_train(x, gamma, beta, eps=1e-5):
    if x.shape[0] == 1:
        raise ValueError("Expected more than 1 value per channel when training")
    return ref.batchnorm_train(x, gamma, beta, eps)


def wrong_on_one_row(x, gamma, beta, eps=1e-5):
    out, cache = ref.batchnorm_train(x, gamma, beta, eps)
    return (out + 1.0 if x.shape[0] == 1 else out), cache


def factory(options, fn=batchnorm_train):
    return Implementation("refusing", {"batchnorm_train": fn}, deviations=[
        Deviation("batchnorm_train", "a mapped convention of the whole component"),
        Deviation("batchnorm_train", REFUSAL,
                  invariant="batchnorm_train_single_row_outputs_beta", kind="refusal")])


def wrong(options):
    return factory(options, wrong_on_one_row)
'''


@pytest.fixture
def factory_file(tmp_path, monkeypatch):
    (tmp_path / "refusing.py").write_text(textwrap.dedent(FACTORY), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return "refusing"


def _verdicts(report):
    return {i["invariant"]: i for c in report["components"] for i in c["invariants"]}


def test_a_declared_refusal_is_a_deviation_and_the_rest_is_judged(factory_file):
    got = _verdicts(check(f"{factory_file}:factory", components=["batchnorm_train"],
                          use_database=False, seed=0))
    single = got["batchnorm_train_single_row_outputs_beta"]
    assert single["status"] == "deviation", single
    assert single["message"].startswith("refuses a training batch of one row (documented) "
                                        "(it raised: ")
    others = {name: v["status"] for name, v in got.items() if v is not single}
    assert others and set(others.values()) == {"deviation"}, others  # mapped, and passing


def test_a_refusal_does_not_excuse_a_wrong_answer(factory_file):
    got = _verdicts(check(f"{factory_file}:wrong", components=["batchnorm_train"],
                          use_database=False, seed=0))
    assert got["batchnorm_train_single_row_outputs_beta"]["status"] == "failed"


def test_a_deviation_naming_the_invariant_comes_before_the_components():
    whole = Deviation("batchnorm_train", "whole component")
    named = Deviation("batchnorm_train", "this one", invariant="x", kind="refusal")
    impl = Implementation("i", {}, deviations=[whole, named])
    assert impl.deviation_for("batchnorm_train", "x") is named
    assert impl.deviation_for("batchnorm_train", "y") is whole
    assert impl.deviation_for("batchnorm_inference", "x") is None


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="mapped, expected-failure, refusal"):
        Deviation("batchnorm_train", "r", kind="excused")
