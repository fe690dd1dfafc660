"""The strategies reach the sizes real code runs at (issue 16, item 5).

Under the ``ci`` profile (40 examples per invariant) every batch strategy must draw a large
batch (N > 64) in essentially every run, while small batches stay common (they shrink well
and are cheap). The kink helpers move inputs off the non-differentiable points instead of
rejecting them, so that large batches survive the kink filters.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from nncheck import strategies as S

BATCHES = {  # strategy, how to read N from a draw
    "classification": (S.classification_batches(), lambda b: len(b[1])),
    "svm away from kinks": (S.away_from_hinge_kinks(S.classification_batches()),
                            lambda b: len(b[1])),
    "crammer-singer away from kinks": (
        S.away_from_crammer_singer_kinks(S.classification_batches()), lambda b: len(b[1])),
    "multiclass": (S.multiclass_batches(), lambda b: len(b[1])),
    "hierarchical": (S.hierarchical_batches(), lambda b: len(b[1])),
    "attribute pm1 away from kinks": (
        S.away_from_attribute_hinge_kinks(S.attribute_batches(encoding="pm1")),
        lambda b: len(b[1])),
    "attribute margins": (S.attribute_margin_batches(), lambda b: len(b[1])),
    "regression away from kinks": (S.away_from_l1_kinks(S.regression_batches(outlier=0)),
                                   lambda b: len(b[0])),
    "structured": (S.structured_batches(), lambda b: len(b[2])),
    "linear objective": (S.linear_objective_batches(), lambda b: len(b[1])),
    "batch norm": (S.bn_raw_batches(), len),
    "batch norm spread": (S.bn_spread_batches(), len),
    "weights": (S.weight_matrices(), len),
    "dropout": (S.dropout_inputs(), len),
    "preprocessing": (S.data_splits(), lambda b: len(b[1])),
}


def _sizes_drawn(strategy, n_of, run_seed: int) -> list[int]:
    drawn: list[int] = []

    @seed(run_seed)
    @settings(max_examples=40, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(batch=strategy)
    def collect(batch):
        drawn.append(n_of(batch))

    collect()
    return drawn


@pytest.mark.parametrize("name", sorted(BATCHES))
def test_forty_examples_reach_large_and_small_batches(name):
    strategy, n_of = BATCHES[name]
    for run_seed in range(3):
        drawn = _sizes_drawn(strategy, n_of, run_seed)
        assert sum(n > 64 for n in drawn) >= 3, f"{name}, seed {run_seed}: N drawn {drawn}"
        assert sum(n <= 8 for n in drawn) >= 5, f"{name}, seed {run_seed}: N drawn {drawn}"


@settings(max_examples=200, deadline=None)
@given(n=S.sizes(8, 300))
def test_sizes_stay_in_range(n):
    assert 1 <= n <= 300


@settings(max_examples=60, deadline=None)
@given(batch=S.away_from_hinge_kinks(S.tied_classification_batches()))
def test_hinge_push_leaves_no_margin_at_a_kink(batch):
    assert np.all(np.abs(S.hinge_margins(*batch)) > 1e-3)


@settings(max_examples=60, deadline=None)
@given(batch=S.away_from_crammer_singer_kinks(S.tied_classification_batches()))
def test_crammer_singer_push_leaves_no_kink(batch):
    assert S.crammer_singer_kink_distance(*batch) > 1e-3


def test_pushes_move_only_the_entries_at_a_kink():
    scores = np.array([[0.0, -1.0, 5.0], [2.0, 1.0, -3.0]])
    y = np.array([0, 0])
    moved, _ = S.push_off_hinge_kinks((scores, y))
    assert np.array_equal(moved != scores, [[False, True, False], [False, True, False]])
    pred, target = np.array([[1.0, 2.0]]), np.array([[1.0, 5.0]])
    moved, _ = S.push_off_l1_kinks((pred, target))
    assert moved[0, 1] == 2.0 and not S.has_l1_kink(moved, target)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_large_arrays_are_seeded_not_constant(data):
    """Big arrays come from numpy (not Hypothesis' fill value), so their entries vary."""
    scores, y = data.draw(S.classification_batches().filter(lambda b: b[0].size > 1000))
    assert len(np.unique(scores)) > scores.size // 2
    assert y.min() >= 0 and y.max() < scores.shape[1]
