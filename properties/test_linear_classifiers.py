"""Properties of the linear-classifier losses (sections "Loss functions" and "Regularization").

A linear classifier scores a batch as s = X @ W (W is [D x C], a class per column) and its
loss is the mean data loss over the N examples plus an L2 penalty on W. These are the forms
a deep-learning course asks for as ``svm_loss_vectorized``; the contract's penalty is
0.5 * reg * sum(W**2), with gradient reg * W. (The softmax twin is ``total_objective``,
checked in test_loss_functions.py.)
"""

from __future__ import annotations

import numpy as np
from hypothesis import given

from nncheck.compare import assert_close
from nncheck.gradcheck import check_gradient
from nncheck.reference import linear_classifiers as ref
from nncheck.strategies import linear_away_from_hinge_kinks, linear_classifier_batches
from nncheck.suite import invariant

RTOL, ATOL = 1e-7, 1e-10
REFERENCE = {"linear_svm_loss": ref.linear_svm_loss}


def _matches_reference(impl, name, batch):
    loss, dW = impl.call(name, *batch)
    want_loss, want_dW = REFERENCE[name](*batch)
    assert_close(loss, want_loss, rtol=RTOL, atol=ATOL, name=f"{name} loss")
    assert_close(dW, want_dW, rtol=RTOL, atol=1e-9, name=f"{name} dW")


def _gradient_matches_numeric(impl, name, batch):
    W, X, y, reg = batch
    _, dW = impl.call(name, W, X, y, reg)
    check_gradient(impl.along(name, (W, X, y, reg), 0), W, dW, name=f"{name} dW")


def _penalty_is_half_l2(impl, name, batch):
    W, X, y, reg = batch
    loss, dW = impl.call(name, W, X, y, reg)
    loss0, dW0 = impl.call(name, W, X, y, 0.0)
    assert_close(loss - loss0, 0.5 * reg * np.sum(W * W), rtol=1e-9, atol=1e-9,
                 name=f"{name}: loss(reg) - loss(0)")
    assert_close(dW - dW0, reg * W, rtol=1e-9, atol=1e-9, name=f"{name}: dW(reg) - dW(0)")


@invariant("linear_svm_loss")
@given(batch=linear_away_from_hinge_kinks(linear_classifier_batches()))
def test_linear_svm_matches_reference(impl, batch):
    """Loss and dW agree with the reference hinge of X @ W plus 0.5 * reg * ||W||^2."""
    _matches_reference(impl, "linear_svm_loss", batch)


@invariant("linear_svm_loss")
@given(batch=linear_away_from_hinge_kinks(linear_classifier_batches()))
def test_linear_svm_gradient_matches_numeric(impl, batch):
    """Away from the hinge's kinks, dW matches central differences of the loss in W."""
    _gradient_matches_numeric(impl, "linear_svm_loss", batch)


@invariant("linear_svm_loss")
@given(batch=linear_classifier_batches())
def test_linear_svm_penalty_is_half_l2(impl, batch):
    """The reg-dependent part is exactly 0.5 * reg * ||W||^2 in the loss and reg * W in dW."""
    _penalty_is_half_l2(impl, "linear_svm_loss", batch)
