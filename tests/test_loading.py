"""Implementation specs: reference, adapter names, files, module paths, factories."""

from __future__ import annotations

import sys

import pytest

from nncheck.adapters import load
from nncheck.errors import UsageError
from nncheck.implementation import Deviation, Implementation


def test_reference_is_an_adapter():
    impl = load("reference")
    assert impl.name == "reference"
    assert {"softmax_loss", "svm_loss"} <= set(impl.functions)


def test_file_with_native_functions(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("__version__ = '1.2'\ndef softmax_loss(scores, y):\n    return 0.0, scores\n"
                    "def helper():\n    pass\n")
    impl = load(str(path))
    assert (impl.name, impl.version, list(impl.functions)) == ("mine", "1.2", ["softmax_loss"])


def test_module_path_and_factory(tmp_path, monkeypatch):
    (tmp_path / "pkg_for_nncheck.py").write_text(
        "from nncheck.implementation import Implementation\n"
        "def svm_loss(scores, y):\n    return 0.0, scores\n"
        "def make(options):\n    return Implementation('made', {'svm_loss': svm_loss})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        assert list(load("pkg_for_nncheck").functions) == ["svm_loss"]
        assert load("pkg_for_nncheck:make").name == "made"
    finally:
        sys.modules.pop("pkg_for_nncheck", None)


@pytest.mark.parametrize("spec, fragment", [
    ("does/not/exist.py", "implementation file not found"),
    ("no_such_module_anywhere", "no such adapter, module or file"),
    ("nncheck.contract:nope", "has no 'nope'"),
    ("nncheck.contract:component", "building implementation .* failed: TypeError"),
    ("builtins:dict", "did not produce an nncheck Implementation"),
    ("", "empty implementation spec"),
])
def test_bad_specs_are_usage_errors(spec, fragment):
    with pytest.raises(UsageError, match=fragment):
        load(spec)


def test_file_that_fails_to_import_is_a_usage_error(tmp_path):
    path = tmp_path / "broken_syntax.py"
    path.write_text("def softmax_loss(:\n")
    with pytest.raises(UsageError, match="SyntaxError"):
        load(str(path))
    path.write_text("import numpy\nraise RuntimeError('nope')\n")
    with pytest.raises(UsageError, match="RuntimeError: nope"):
        load(str(path))


def test_unknown_convention_is_rejected():
    with pytest.raises(UsageError, match="does not know convention"):
        load("reference", {"dropout_p": "drop"})


def test_implementation_rejects_unknown_components_and_deviations():
    with pytest.raises(ValueError, match="not contract components"):
        Implementation("x", {"softmax": print})
    with pytest.raises(KeyError, match="unknown component"):
        Deviation("softmax", "reason")
    with pytest.raises(ValueError, match="kind"):
        Deviation("softmax_loss", "reason", kind="maybe")
