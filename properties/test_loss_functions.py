"""Properties of the notes' section "Loss functions".

Each test checks one invariant of one component against the implementation under test
(the ``impl`` fixture, see ``--impl``). Scores are [N x C], labels y are class indices,
and the data loss is the mean over the N examples.
"""

from __future__ import annotations

import autograd
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncheck.compare import assert_close
from nncheck.gradcheck import check_gradient
from nncheck.reference import losses as ref
from nncheck.strategies import (
    away_from_hinge_kinks,
    classification_batches,
    margin_satisfying_batches,
)
from nncheck.suite import invariant

# Tolerances for agreement with the reference: both sides are float64 and differ only in
# the order of operations, so disagreement beyond ~1e-7 relative is a real difference.
RTOL, ATOL = 1e-7, 1e-10

REFERENCE = {"softmax_loss": (ref.softmax_loss, ref.softmax_loss_forward),
             "svm_loss": (ref.svm_loss, ref.svm_loss_forward)}


# ------------------------------------------------------------------ shared multiclass losses

@invariant("softmax_loss")
@given(batch=classification_batches())
def test_softmax_matches_reference(impl, batch):
    """Loss and gradient agree with the reference softmax cross-entropy."""
    _matches_reference(impl, "softmax_loss", batch)


@invariant("svm_loss")
@given(batch=away_from_hinge_kinks(classification_batches()))
def test_svm_matches_reference(impl, batch):
    """Loss and gradient agree with the reference Weston-Watkins hinge (margin 1)."""
    _matches_reference(impl, "svm_loss", batch)


def _matches_reference(impl, name, batch):
    scores, y = batch
    loss, dscores = impl.call(name, scores, y)
    want_loss, want_dscores = REFERENCE[name][0](scores, y)
    assert_close(loss, want_loss, rtol=RTOL, atol=ATOL, name=f"{name} loss")
    assert_close(dscores, want_dscores, rtol=RTOL, atol=ATOL, name=f"{name} dscores")


@invariant("softmax_loss")
@given(batch=classification_batches())
def test_softmax_gradient_matches_numeric(impl, batch):
    """The analytic gradient matches central differences of the implementation's own loss."""
    _gradient_matches_numeric(impl, "softmax_loss", batch)


@invariant("svm_loss")
@given(batch=away_from_hinge_kinks(classification_batches()))
def test_svm_gradient_matches_numeric(impl, batch):
    """Away from the hinge's kinks, the gradient matches central differences of the loss."""
    _gradient_matches_numeric(impl, "svm_loss", batch)


def _gradient_matches_numeric(impl, name, batch):
    scores, y = batch
    _, dscores = impl.call(name, scores, y)
    check_gradient(lambda s: impl.call(name, s, y)[0], scores, dscores, name=f"{name} dscores")


@invariant("softmax_loss")
@given(batch=classification_batches())
def test_softmax_gradient_matches_autograd(impl, batch):
    """The analytic gradient matches autograd applied to the reference forward pass."""
    _gradient_matches_autograd(impl, "softmax_loss", batch)


@invariant("svm_loss")
@given(batch=away_from_hinge_kinks(classification_batches()))
def test_svm_gradient_matches_autograd(impl, batch):
    """Away from kinks, the gradient matches autograd applied to the reference forward pass."""
    _gradient_matches_autograd(impl, "svm_loss", batch)


def _gradient_matches_autograd(impl, name, batch):
    scores, y = batch
    _, dscores = impl.call(name, scores, y)
    forward = REFERENCE[name][1]
    want = autograd.grad(forward)(scores, y)
    assert_close(dscores, want, rtol=1e-7, atol=1e-10, name=f"{name} dscores vs autograd")


@invariant("softmax_loss")
@given(batch=classification_batches())
def test_softmax_loss_nonnegative(impl, batch):
    """Cross-entropy is never negative."""
    loss, _ = impl.call("softmax_loss", *batch)
    assert loss >= 0.0, f"softmax loss {loss} < 0"


@invariant("svm_loss")
@given(batch=classification_batches())
def test_svm_loss_nonnegative(impl, batch):
    """A sum of hinges is never negative."""
    loss, _ = impl.call("svm_loss", *batch)
    assert loss >= 0.0, f"svm loss {loss} < 0"


@invariant("softmax_loss")
@given(batch=classification_batches())
def test_softmax_gradient_rows_sum_to_zero(impl, batch):
    """Each row of dscores is (softmax - onehot) / N, which sums to 0."""
    _, dscores = impl.call("softmax_loss", *batch)
    assert_close(dscores.sum(axis=1), np.zeros(len(dscores)), rtol=0, atol=1e-12,
                 name="row sums of softmax dscores")


@invariant("svm_loss")
@given(batch=away_from_hinge_kinks(classification_batches()))
def test_svm_gradient_rows_sum_to_zero(impl, batch):
    """The target's gradient is minus the count of violating classes, so rows sum to 0."""
    _, dscores = impl.call("svm_loss", *batch)
    assert_close(dscores.sum(axis=1), np.zeros(len(dscores)), rtol=0, atol=1e-12,
                 name="row sums of svm dscores")


@invariant("softmax_loss")
@given(batch=classification_batches(), data=st.data())
def test_softmax_invariant_to_row_shift(impl, batch, data):
    """Adding a constant to every score of a row (its own constant per row) changes nothing."""
    scores, y = batch
    shifts = data.draw(hnp.arrays(np.float64, (len(y), 1), elements=st.floats(-100, 100)),
                       label="row shifts")
    loss, dscores = impl.call("softmax_loss", scores, y)
    loss2, dscores2 = impl.call("softmax_loss", scores + shifts, y)
    assert_close(loss2, loss, rtol=1e-9, atol=1e-9, name="loss after row shift")
    assert_close(dscores2, dscores, rtol=1e-7, atol=1e-9, name="dscores after row shift")


@invariant("svm_loss")
@given(batch=margin_satisfying_batches())
def test_svm_zero_when_margins_hold(impl, batch):
    """When every target score beats every other by more than 1, loss and gradient are 0."""
    loss, dscores = impl.call("svm_loss", *batch)
    assert loss == 0.0, f"loss is {loss}, but every margin holds"
    assert_close(dscores, np.zeros_like(dscores), rtol=0, atol=0, name="dscores")


@invariant("softmax_loss")
@given(batch=classification_batches(bound=1e4))
def test_softmax_stable_for_large_scores(impl, batch):
    """Scores up to |f| = 1e4 give a finite loss and gradient that match the reference."""
    _matches_reference(impl, "softmax_loss", batch)


@invariant("svm_loss")
@given(batch=away_from_hinge_kinks(classification_batches(bound=1e4)))
def test_svm_stable_for_large_scores(impl, batch):
    """Scores up to |f| = 1e4 give a finite loss and gradient that match the reference."""
    _matches_reference(impl, "svm_loss", batch)


@invariant("softmax_loss")
@given(batch=classification_batches())
def test_softmax_averages_over_examples(impl, batch):
    """The data loss is a mean over N: stacking the batch twice keeps the loss, halves dscores."""
    _averages_over_examples(impl, "softmax_loss", batch)


@invariant("svm_loss")
@given(batch=away_from_hinge_kinks(classification_batches()))
def test_svm_averages_over_examples(impl, batch):
    """The data loss is a mean over N: stacking the batch twice keeps the loss, halves dscores."""
    _averages_over_examples(impl, "svm_loss", batch)


def _averages_over_examples(impl, name, batch):
    scores, y = batch
    loss, dscores = impl.call(name, scores, y)
    loss2, dscores2 = impl.call(name, np.vstack([scores, scores]), np.concatenate([y, y]))
    assert_close(loss2, loss, rtol=1e-9, atol=1e-12, name=f"{name} loss of the doubled batch")
    assert_close(dscores2, np.vstack([dscores, dscores]) / 2, rtol=1e-9, atol=1e-15,
                 name=f"{name} dscores of the doubled batch")
