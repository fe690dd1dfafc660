"""A user's own PyTorch and JAX code checked with no glue (--impl torch:file / jax:file,
nncheck.adapters.native): correct code conforms, the usual framework bugs are rejected.

The files are in tests/native/. Each framework's tests run where it is installed (the torch
and jax tox envs) and are skipped elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nncheck.api import check

HERE = Path(__file__).parent / "native"


def _verdicts(spec, components):
    report = check(spec, components=components, seed=0, use_database=False)
    return report, {i["invariant"]: i for c in report["components"] for i in c["invariants"]}


def _failed(verdicts, prefix):
    return [name for name, v in verdicts.items() if name.startswith(prefix)
            and v["status"] == "failed"]


def test_correct_torch_code_conforms_with_no_glue():
    pytest.importorskip("torch")
    components = ["softmax_loss", "svm_loss", "l2_penalty", "glorot_init", "batchnorm_train",
                  "batchnorm_backward", "batchnorm_inference"]
    report, verdicts = _verdicts(f"torch:{HERE / 'torch_layers.py'}", components)
    checked = {v["component"] for v in verdicts.values() if v["status"] == "passed"}
    assert checked == set(components), checked  # batchnorm_backward: the Function's own
    assert report["summary"]["conforms"], [v["message"][:200] for v in verdicts.values()
                                           if v["status"] == "failed"]
    assert "torch" in report["implementation"]["source"]


def test_torch_bugs_are_rejected():
    pytest.importorskip("torch")
    _, verdicts = _verdicts(f"torch:{HERE / 'torch_buggy.py'}",
                            ["batchnorm_train", "batchnorm_backward", "softmax_loss"])
    assert _failed(verdicts, "batchnorm_backward_"), verdicts  # the missing mean path
    assert not _failed(verdicts, "batchnorm_train_")  # its forward is right
    assert "softmax_matches_reference" in _failed(verdicts, "softmax_")  # .detach()


def test_correct_jax_code_conforms_with_no_glue():
    pytest.importorskip("jax")
    components = ["softmax_loss", "logistic_loss", "l2_regression_loss", "batchnorm_train",
                  "batchnorm_backward", "max_norm_project"]
    report, verdicts = _verdicts(f"jax:{HERE / 'jax_losses.py'}", components)
    assert report["summary"]["conforms"], [v["message"][:200] for v in verdicts.values()
                                           if v["status"] == "failed"]
    assert verdicts["max_norm_keeps_subnormal_columns"]["status"] == "deviation"  # XLA's FTZ
    assert verdicts["l2_regression_matches_reference"]["status"] == "passed"  # custom_vjp


def test_jax_bugs_are_rejected():
    pytest.importorskip("jax")
    _, verdicts = _verdicts(f"jax:{HERE / 'jax_buggy.py'}",
                            ["l2_regression_loss", "batchnorm_train", "batchnorm_backward"])
    assert "l2_regression_gradient_is_twice_the_difference" in _failed(verdicts, "l2_")
    assert _failed(verdicts, "batchnorm_backward_")  # stop_gradient on the statistics
    assert not _failed(verdicts, "batchnorm_train_")


def test_a_framework_spec_must_name_its_code():
    from nncheck.adapters import load
    from nncheck.errors import UsageError

    with pytest.raises(UsageError, match="names no file or module"):
        load("torch:")
    with pytest.raises(UsageError, match="not found"):
        load("jax:no/such/file.py")
