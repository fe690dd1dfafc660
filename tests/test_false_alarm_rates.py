"""Every statistical invariant states its false-alarm rate, and the report shows it.

An invariant is *statistical* when it, or a module-level helper it calls (transitively),
makes a calibrated statistical test: one of nncheck.stats' ``assert_*`` functions, or a
quantile of a scipy distribution (``.isf`` / ``.ppf``) used as a rejection threshold. Such an
invariant can reject a correct implementation by bad luck, so it must say how often
(``@invariant(..., false_alarm_rate=...)``). A few others state a rate too, for a chance
event that is not a test (e.g. every hidden ReLU unit dead on a random batch).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from pathlib import Path

import pytest

from nncheck.report.markdown import render_markdown

PROPERTY_MODULES = sorted(p.stem for p in (Path(__file__).parents[1] / "properties").glob("test_*.py"))
STATISTICAL_CALLS = {"assert_mean", "assert_variance", "assert_variance_ratio",
                     "assert_proportion", "assert_distribution", "isf", "ppf"}


def _names_used(fn) -> tuple[set[str], bool]:
    """(module-level names ``fn`` refers to, whether it makes a statistical call itself)."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):  # e.g. a Hypothesis @composite strategy: draws, tests nothing
        return set(), False
    tree = ast.parse(textwrap.dedent(source))
    names, statistical = set(), False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            statistical |= node.attr in STATISTICAL_CALLS
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            statistical |= node.func.id in STATISTICAL_CALLS
    return names, statistical


def _is_statistical(fn, module, seen: set[str]) -> bool:
    names, statistical = _names_used(inspect.unwrap(getattr(fn, "hypothesis", None)
                                                    and fn.hypothesis.inner_test or fn))
    if statistical:
        return True
    for name in names - seen:
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == module.__name__:
            seen.add(name)
            if _is_statistical(helper, module, seen):
                return True
    return False


def _properties():
    for mod_name in PROPERTY_MODULES:
        module = importlib.import_module(f"nncheck.properties.{mod_name}")
        for name, fn in vars(module).items():
            marks = [m for m in getattr(fn, "pytestmark", []) if m.name == "nncheck"]
            if name.startswith("test_") and marks:
                yield pytest.param(module, fn, marks[0].kwargs.get("false_alarm_rate"),
                                   id=f"{mod_name}::{name}")


@pytest.mark.parametrize(("module", "fn", "rate"), list(_properties()))
def test_statistical_invariants_state_their_false_alarm_rate(module, fn, rate):
    if _is_statistical(fn, module, set()):
        assert rate is not None, f"{fn.__name__} makes a statistical test but states no false-alarm rate"
    if rate is not None:
        assert 0 < rate <= 1e-6, f"{fn.__name__}: false-alarm rate {rate} is not tiny"


def test_the_detection_is_not_vacuous():
    """The check above finds the statistical invariants it must (and only those)."""
    found = {p.values[1].__name__ for p in _properties() if _is_statistical(p.values[1], p.values[0], set())}
    assert {"test_he_init_variance", "test_dropout_train_expectation_is_identity",
            "test_batchnorm_running_stats_converge_to_data_statistics"} <= found
    assert not {"test_softmax_gradient_matches_numeric", "test_pca_rotated_covariance_is_diagonal_decreasing",
                "test_batchnorm_inference_on_one_row"} & found


def test_markdown_lists_the_rates_and_their_sum():
    def verdict(name, rate):
        return {"invariant": name, "status": "passed", "message": "", "description": name,
                "false_alarm_rate": rate}

    report = {"implementation": {"name": "x", "spec": "x"}, "schema_version": "1.1",
              "nncheck_version": "0", "environment": {"python": "3", "platform": "p", "packages": {}},
              "run": {"profile": "ci", "seed": 0, "duration_s": 1, "finished": "now"},
              "summary": {"passed": 3, "failed": 0, "error": 0, "not-implemented": 0,
                          "deviation": 0, "total": 3, "conforms": True, "unchecked_components": []},
              "components": [{"name": "he_init", "invariants": [
                  verdict("variance", 4e-8), verdict("mean", 1e-8), verdict("exact", None)]}]}
    md = render_markdown(report)
    assert "## False-alarm rates of the statistical invariants" in md
    assert "| `he_init` | variance | 4.0e-08 |" in md
    assert "at most 5e-08" in md
    assert "| `he_init` | exact |" not in md.split("## False-alarm rates")[1]
