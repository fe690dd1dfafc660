"""Properties of the notes' section "Loss functions".

Each test checks one invariant of one component against the implementation under test
(the ``impl`` fixture, see ``--impl``). Scores are [N x C], labels y are class indices,
and the data loss is the mean over the N examples.
"""

from __future__ import annotations

import itertools
import warnings

import autograd
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncheck.compare import assert_close
from nncheck.gradcheck import check_gradient
from nncheck.reference import losses as ref
from nncheck.runtime.probes import Counter, CountingSequence
from nncheck.strategies import (
    attribute_batches,
    attribute_margin_batches,
    away_from_attribute_hinge_kinks,
    away_from_crammer_singer_kinks,
    away_from_hinge_kinks,
    away_from_l1_kinks,
    caterpillar_tree,
    classification_batches,
    crammer_singer_kink_distance,
    finite_floats,
    float_matrices,
    hierarchical_batches,
    label_trees,
    labels,
    linear_objective_batches,
    margin_satisfying_batches,
    multiclass_batches,
    regression_batches,
    sizes,
    structured_batches,
    structured_margin_batches,
    structured_max_gap,
)
from nncheck.suite import invariant

# Tolerances for agreement with the reference: both sides are float64 and differ only in
# the order of operations, so disagreement beyond ~1e-7 relative is a real difference.
RTOL, ATOL = 1e-7, 1e-10

REFERENCE = {"softmax_loss": (ref.softmax_loss, ref.softmax_loss_forward),
             "svm_loss": (ref.svm_loss, ref.svm_loss_forward)}


def _assert_zero_loss(loss, dscores, scores, why: str) -> None:
    """Loss and gradient are 0 where ``why`` holds, up to the rounding of one pass over the
    scores (a correct implementation may compute 0 as, e.g., 2.2e-16: a max minus a sum)."""
    rounding = 8 * np.finfo(np.float64).eps * (1.0 + float(np.max(np.abs(scores), initial=0)))
    assert abs(loss) <= rounding, f"loss is {loss}, but {why} (rounding allows {rounding:.1e})"
    assert_close(dscores, np.zeros_like(dscores), rtol=0, atol=rounding, name="dscores")


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
    check_gradient(impl.along(name, (scores, y), 0), scores, dscores, name=f"{name} dscores")


@invariant("softmax_loss")
@given(batch=classification_batches())
def test_softmax_gradient_matches_autograd(impl, batch):
    """The analytic gradient matches autograd applied to the reference forward pass."""
    _autograd_check(impl, "softmax_loss", batch)


@invariant("svm_loss")
@given(batch=away_from_hinge_kinks(classification_batches()))
def test_svm_gradient_matches_autograd(impl, batch):
    """Away from kinks, the gradient matches autograd applied to the reference forward pass."""
    _autograd_check(impl, "svm_loss", batch)


def _autograd_check(impl, name, args, wrt=(0,)):
    """Each gradient output (for argument ``wrt[k]``) equals autograd's gradient of the
    reference forward pass."""
    outputs = impl.call(name, *args)
    forward = REFERENCE[name][1]
    for k, position in enumerate(wrt):
        with warnings.catch_warnings():
            # a loss that is flat in this argument here (e.g. no margin violated) has a
            # zero gradient, which autograd returns after warning about it
            warnings.filterwarnings("ignore", "Output seems independent of input")
            want = autograd.grad(forward, position)(*args)
        assert_close(outputs[k + 1], want, rtol=1e-7, atol=1e-10,
                     name=f"{name} gradient w.r.t. argument {position + 1} vs autograd")


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
    shifts = data.draw(float_matrices((len(y), 1), 100.0, "row shifts"), label="row shifts")
    loss, dscores = impl.call("softmax_loss", scores, y)
    loss2, dscores2 = impl.call("softmax_loss", scores + shifts, y)
    assert_close(loss2, loss, rtol=1e-9, atol=1e-9, name="loss after row shift")
    assert_close(dscores2, dscores, rtol=1e-7, atol=1e-9, name="dscores after row shift")


@invariant("svm_loss")
@given(batch=margin_satisfying_batches())
def test_svm_zero_when_margins_hold(impl, batch):
    """When every target score beats every other by more than 1, loss and gradient are 0."""
    loss, dscores = impl.call("svm_loss", *batch)
    _assert_zero_loss(loss, dscores, batch[0], "every margin holds")


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


# ==================================================================== every other loss (issue 8)
# Squared hinge, Crammer-Singer, hierarchical softmax, attribute hinge, binary logistic,
# L2/L1 regression, structured SVM and the total objective. Helpers first, then one block
# of properties per component.

KINK_GAP = 1e-3  # gradients are compared only this far from a non-differentiable point

REFERENCE.update({
    "squared_hinge_loss": (ref.squared_hinge_loss, ref.squared_hinge_loss_forward),
    "crammer_singer_loss": (ref.crammer_singer_loss, ref.crammer_singer_loss_forward),
    "hierarchical_softmax_loss": (ref.hierarchical_softmax_loss,
                                  ref.hierarchical_softmax_loss_forward),
    "attribute_hinge_loss": (ref.attribute_hinge_loss, ref.attribute_hinge_loss_forward),
    "logistic_loss": (ref.logistic_loss, ref.logistic_loss_forward),
    "l2_regression_loss": (ref.l2_regression_loss, ref.l2_regression_loss_forward),
    "l1_regression_loss": (ref.l1_regression_loss, ref.l1_regression_loss_forward),
    "structured_svm_loss": (ref.structured_svm_loss, ref.structured_svm_loss_forward),
    "total_objective": (ref.total_objective, ref.total_objective_forward),
})


def _agrees_with_reference(impl, name, args, *, gradients=True, rtol=RTOL, atol=ATOL):
    """Loss (and, unless told otherwise, every gradient output) equals the reference's."""
    got = impl.call(name, *args)
    want = REFERENCE[name][0](*args)
    assert_close(got[0], want[0], rtol=rtol, atol=atol, name=f"{name} loss")
    if gradients:
        for k, (g, w) in enumerate(zip(got[1:], want[1:], strict=True), start=1):
            assert_close(g, w, rtol=rtol, atol=atol, name=f"{name} gradient output {k + 1}")


def _numeric_atol(loss):
    """Absolute tolerance of a central difference: rounding of the loss, |L| eps / h, is
    about 2e-10 |L| with h = 1e-6; allow 50 times that."""
    return 1e-8 * max(1.0, abs(loss))


def _numeric_check(impl, name, args, wrt=(0,)):
    """Each gradient output (for argument ``wrt[k]``) matches central differences."""
    outputs = impl.call(name, *args)
    for k, position in enumerate(wrt):
        check_gradient(impl.along(name, args, position), args[position], outputs[k + 1],
                       name=f"{name} gradient w.r.t. argument {position + 1}",
                       atol=_numeric_atol(outputs[0]))


def _doubled_batch(impl, name, args, batched, shared=()):
    """Mean over N: the batch stacked on itself keeps the loss; per-example gradients halve.

    ``batched`` are the argument positions stacked along axis 0; gradient outputs listed in
    ``shared`` belong to parameters shared by all examples and stay unchanged.
    """
    outputs = impl.call(name, *args)
    doubled = [np.concatenate([a, a]) if i in batched else a for i, a in enumerate(args)]
    outputs2 = impl.call(name, *doubled)
    assert_close(outputs2[0], outputs[0], rtol=1e-9, atol=1e-12,
                 name=f"{name} loss of the doubled batch")
    for k in range(1, len(outputs)):
        want = outputs[k] if k in shared else np.concatenate([outputs[k], outputs[k]]) / 2
        assert_close(outputs2[k], want, rtol=1e-9, atol=1e-15,
                     name=f"{name} gradient output {k + 1} of the doubled batch")


# ---------------------------------------------------------------------------- squared hinge

@invariant("squared_hinge_loss")
@given(batch=multiclass_batches())
def test_squared_hinge_matches_reference(impl, batch):
    """Loss and gradient agree with the reference, with and without tied scores."""
    # The squared hinge is continuously differentiable, so even ties and kinks are checked.
    _agrees_with_reference(impl, "squared_hinge_loss", batch)


@invariant("squared_hinge_loss")
@given(batch=away_from_hinge_kinks(classification_batches()))
def test_squared_hinge_gradient_matches_numeric(impl, batch):
    """The gradient matches central differences of the implementation's own loss."""
    _numeric_check(impl, "squared_hinge_loss", batch)


@invariant("squared_hinge_loss")
@given(batch=margin_satisfying_batches())
def test_squared_hinge_zero_when_margins_hold(impl, batch):
    """When every target beats every other class by more than 1, loss and gradient are 0."""
    loss, dscores = impl.call("squared_hinge_loss", *batch)
    _assert_zero_loss(loss, dscores, batch[0], "every margin holds")


@invariant("squared_hinge_loss")
@given(batch=multiclass_batches())
def test_squared_hinge_gradient_is_twice_the_margin(impl, batch):
    """dL_i/df_j = 2 max(0, f_j - f_y + 1) / N on other classes; the target gets minus their sum."""
    scores, y = batch
    _, dscores = impl.call("squared_hinge_loss", scores, y)
    n, rows = len(y), np.arange(len(y))
    want = 2.0 * np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)
    want[rows, y] = 0.0
    want[rows, y] = -want.sum(axis=1)
    assert_close(dscores, want / n, rtol=1e-9, atol=1e-12, name="squared hinge dscores")


@invariant("squared_hinge_loss")
@given(batch=multiclass_batches())
def test_squared_hinge_averages_over_examples(impl, batch):
    """The data loss is a mean over N: stacking the batch twice keeps the loss, halves dscores."""
    _doubled_batch(impl, "squared_hinge_loss", batch, batched=(0, 1))


# --------------------------------------------------------------------------- Crammer-Singer

@invariant("crammer_singer_loss")
@given(batch=multiclass_batches())
def test_crammer_singer_matches_reference(impl, batch):
    """Loss max(0, 1 + max_{j != y} f_j - f_y) agrees with the reference; gradient off kinks."""
    smooth = crammer_singer_kink_distance(*batch) > KINK_GAP
    _agrees_with_reference(impl, "crammer_singer_loss", batch, gradients=smooth)


@invariant("crammer_singer_loss")
@given(batch=away_from_crammer_singer_kinks(classification_batches(), KINK_GAP))
def test_crammer_singer_gradient_matches_numeric(impl, batch):
    """Away from kinks (hinge at 0, tied runner-up), the gradient matches central differences."""
    _numeric_check(impl, "crammer_singer_loss", batch)


@invariant("crammer_singer_loss")
@given(batch=margin_satisfying_batches())
def test_crammer_singer_zero_when_margins_hold(impl, batch):
    """When every target beats every other class by more than 1, loss and gradient are 0."""
    loss, dscores = impl.call("crammer_singer_loss", *batch)
    _assert_zero_loss(loss, dscores, batch[0], "every margin holds")


@invariant("crammer_singer_loss")
@given(batch=multiclass_batches())
def test_crammer_singer_averages_over_examples(impl, batch):
    """The data loss is a mean over N: stacking the batch twice keeps the loss, halves dscores."""
    smooth = crammer_singer_kink_distance(*batch) > KINK_GAP
    if smooth:
        _doubled_batch(impl, "crammer_singer_loss", batch, batched=(0, 1))
    else:  # at a kink only the loss is pinned down
        scores, y = batch
        loss, _ = impl.call("crammer_singer_loss", scores, y)
        loss2, _ = impl.call("crammer_singer_loss", np.vstack([scores, scores]),
                             np.concatenate([y, y]))
        assert_close(loss2, loss, rtol=1e-9, atol=1e-12, name="loss of the doubled batch")


# --------------------------------------------------------------------- hierarchical softmax

def _hs_loss(impl, node_scores, y, tree):
    return impl.call("hierarchical_softmax_loss", node_scores, y, tree)


@invariant("hierarchical_softmax_loss")
@given(batch=hierarchical_batches())
def test_hierarchical_softmax_matches_reference(impl, batch):
    """Loss -log p(y_i) and gradient agree with the reference on label trees of any shape."""
    _agrees_with_reference(impl, "hierarchical_softmax_loss", batch)


@invariant("hierarchical_softmax_loss")
@given(batch=hierarchical_batches())
def test_hierarchical_softmax_gradient_matches_numeric(impl, batch):
    """The log-probability gradient matches central differences of the implementation's loss."""
    node_scores, y, tree = batch
    loss, dnode = _hs_loss(impl, node_scores, y, tree)
    check_gradient(lambda s: _hs_loss(impl, s, y, tree)[0], node_scores, dnode,
                   name="hierarchical softmax dnode_scores", atol=_numeric_atol(loss))


@invariant("hierarchical_softmax_loss")
@given(batch=hierarchical_batches())
def test_hierarchical_softmax_gradient_matches_autograd(impl, batch):
    """The gradient matches autograd applied to the reference forward pass."""
    node_scores, y, tree = batch
    _, dnode = _hs_loss(impl, node_scores, y, tree)
    want = autograd.grad(ref.hierarchical_softmax_loss_forward)(node_scores, y, tree)
    assert_close(dnode, want, rtol=1e-7, atol=1e-10, name="dnode_scores vs autograd")


@invariant("hierarchical_softmax_loss")
@given(tree=label_trees(), data=st.data())
def test_hierarchical_softmax_leaf_probabilities_sum_to_one(impl, tree, data):
    """For any tree shape and node scores, exp(-loss) over all C labels sums to 1."""
    row = data.draw(hnp.arrays(np.float64, (1, len(tree) - 1), elements=finite_floats(10.0)),
                    label="node scores")
    probs = [np.exp(-_hs_loss(impl, row, np.array([c]), tree)[0]) for c in range(len(tree))]
    assert abs(sum(probs) - 1.0) <= 1e-12, (
        f"leaf probabilities sum to {sum(probs)!r}, not 1: {probs}")


@invariant("hierarchical_softmax_loss")
@given(data=st.data())
def test_hierarchical_softmax_one_inner_node_is_logistic_regression(impl, data):
    """With one inner node and two leaves it is binary logistic regression on that node's score."""
    n = data.draw(sizes(6), label="N")
    s = data.draw(float_matrices((n, 1), 30.0, "scores"), label="scores")
    y = data.draw(labels((n,), 2), label="y")
    tree = [[(0, 1)], [(0, -1)]]  # label 0: probability sigma(s); label 1: 1 - sigma(s)
    loss, dnode = _hs_loss(impl, s, y, tree)
    is_zero = (y == 0).astype(np.float64)[:, None]
    want_loss = np.mean(np.logaddexp(0.0, s) - is_zero * s)
    want_grad = (1.0 / (1.0 + np.exp(-s)) - is_zero) / n
    assert_close(loss, want_loss, rtol=1e-9, atol=1e-12, name="loss vs logistic regression")
    assert_close(dnode, want_grad, rtol=1e-7, atol=1e-12, name="gradient vs logistic regression")


@invariant("hierarchical_softmax_loss")
@given(data=st.data())
def test_hierarchical_softmax_cost_follows_path_depth(impl, data):
    """Each example reads only its own label's path: work grows with depth, not with C.

    Counted, not timed: the tree hands out paths that count the entries read. On a deep
    (caterpillar) tree of 32 classes, a batch of shallow labels may read at most 4 times
    the entries on its own paths; reading every leaf's path costs over 500.
    """
    classes = 32
    tree = caterpillar_tree(classes)
    n = data.draw(st.integers(1, 4), label="N")
    y = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 2)), label="shallow y")
    node_scores = data.draw(hnp.arrays(np.float64, (n, classes - 1),
                                       elements=finite_floats(10.0)), label="node_scores")
    counter = Counter()
    counting = [CountingSequence(path, counter) for path in tree]
    loss, _ = _hs_loss(impl, node_scores, y, counting)
    own = sum(len(tree[c]) for c in y)
    assert counter.count <= 4 * own, (
        f"read {counter.count} path entries for {n} example(s) whose paths hold {own} entries "
        f"(tree of {classes} classes, total path length {sum(map(len, tree))})")
    assert_close(loss, ref.hierarchical_softmax_loss(node_scores, y, tree)[0], rtol=RTOL,
                 atol=ATOL, name="loss with the counting tree")


@invariant("hierarchical_softmax_loss")
@given(batch=hierarchical_batches())
def test_hierarchical_softmax_averages_over_examples(impl, batch):
    """The data loss is a mean over N: stacking the batch twice keeps the loss, halves dscores."""
    _doubled_batch(impl, "hierarchical_softmax_loss", batch, batched=(0, 1))


# ------------------------------------------------------------------------- attribute hinge

ATTRIBUTE_PM1 = st.one_of(attribute_batches(encoding="pm1"),
                          attribute_batches(encoding="pm1", ties=True))
# The same off the kink y f = 1, which has an invariant of its own (where a library may
# return another valid subgradient without that hiding how it does everywhere else).
ATTRIBUTE_PM1_OFF_KINK = away_from_attribute_hinge_kinks(ATTRIBUTE_PM1)


@invariant("attribute_hinge_loss")
@given(batch=ATTRIBUTE_PM1_OFF_KINK)
def test_attribute_hinge_matches_reference(impl, batch):
    """Loss and gradient agree with the reference (off the kink y f = 1)."""
    _agrees_with_reference(impl, "attribute_hinge_loss", batch)


@invariant("attribute_hinge_loss")
@given(batch=away_from_attribute_hinge_kinks(attribute_batches(encoding="pm1")))
def test_attribute_hinge_gradient_matches_numeric(impl, batch):
    """Away from kinks, the gradient matches central differences of the loss."""
    _numeric_check(impl, "attribute_hinge_loss", batch)


@invariant("attribute_hinge_loss")
@given(batch=attribute_margin_batches())
def test_attribute_hinge_zero_when_margins_hold(impl, batch):
    """When every y_ij f_j > 1, loss and gradient are 0."""
    loss, dscores = impl.call("attribute_hinge_loss", *batch)
    _assert_zero_loss(loss, dscores, batch[0], "every y_ij f_j > 1")


@invariant("attribute_hinge_loss")
@given(batch=attribute_margin_batches(at_kink=True))
def test_attribute_hinge_subgradient_zero_at_the_kink(impl, batch):
    """Where y_ij f_j = 1 exactly (the kink) and every other y f >= 1, the loss is 0 and the
    subgradient the contract chooses there is 0 (any value between -y_ij / N and 0 is one)."""
    loss, dscores = impl.call("attribute_hinge_loss", *batch)
    _assert_zero_loss(loss, dscores, batch[0], "every y_ij f_j >= 1 (some exactly 1)")


@invariant("attribute_hinge_loss")
@given(batch=ATTRIBUTE_PM1_OFF_KINK)
def test_attribute_hinge_gradient_only_on_violated(impl, batch):
    """dscores is -y_ij / N where y_ij f_j < 1 and exactly 0 where y_ij f_j > 1 (the kink
    y f = 1 has an invariant of its own)."""
    scores, Y = batch
    _, dscores = impl.call("attribute_hinge_loss", scores, Y)
    violated = Y * scores < 1.0
    assert not np.any(dscores[~violated]), (
        f"gradient on {int(np.count_nonzero(dscores[~violated]))} satisfied attribute(s)")
    assert_close(dscores[violated], -Y[violated] / len(Y), rtol=1e-12, atol=0,
                 name="gradient on violated attributes")


@invariant("attribute_hinge_loss")
@given(batch=ATTRIBUTE_PM1)
def test_attribute_hinge_attributes_independent(impl, batch):
    """Attributes are independent: loss and gradient are those of each column on its own, summed.

    Changing one column of scores changes only its own term and gradient column, and the
    per-attribute terms are summed, not averaged over C.
    """
    _sum_of_columns(impl, "attribute_hinge_loss", *batch)


def _sum_of_columns(impl, name, scores, Y):
    loss, dscores = impl.call(name, scores, Y)
    parts = impl.call_many(name, [((scores[:, [j]], Y[:, [j]]), {})
                                  for j in range(scores.shape[1])])
    assert_close(loss, sum(p[0] for p in parts), rtol=1e-9, atol=1e-12,
                 name=f"{name}: loss vs sum of one-attribute losses")
    assert_close(dscores, np.hstack([p[1] for p in parts]), rtol=1e-9, atol=1e-15,
                 name=f"{name}: gradient vs one-attribute gradients")


@invariant("attribute_hinge_loss")
@given(batch=ATTRIBUTE_PM1)
def test_attribute_hinge_symmetric_under_label_flip(impl, batch):
    """Labels are +-1: negating both scores and labels keeps the loss and negates the gradient."""
    scores, Y = batch
    loss, dscores = impl.call("attribute_hinge_loss", scores, Y)
    loss2, dscores2 = impl.call("attribute_hinge_loss", -scores, -Y)
    assert_close(loss2, loss, rtol=1e-12, atol=1e-12, name="loss after flipping")
    assert_close(dscores2, -dscores, rtol=1e-12, atol=0, name="dscores after flipping")


@invariant("attribute_hinge_loss")
@given(batch=ATTRIBUTE_PM1)
def test_attribute_hinge_averages_over_examples(impl, batch):
    """The data loss is a mean over N: stacking the batch twice keeps the loss, halves dscores."""
    _doubled_batch(impl, "attribute_hinge_loss", batch, batched=(0, 1))


# ---------------------------------------------------------------------- logistic regression

def _sigmoid_minus(scores, Y):
    """sigma(f) - y without cancellation: -sigma(-f) where y = 1."""
    return np.where(Y > 0.5, -1.0 / (1.0 + np.exp(scores)), 1.0 / (1.0 + np.exp(-scores)))


@invariant("logistic_loss")
@given(batch=attribute_batches(encoding="01"))
def test_logistic_matches_reference(impl, batch):
    """Loss and gradient agree with the reference binary cross-entropy on logits."""
    _agrees_with_reference(impl, "logistic_loss", batch)


@invariant("logistic_loss")
@given(batch=attribute_batches(encoding="01"))
def test_logistic_gradient_is_sigma_minus_y(impl, batch):
    """dL_i/df_j = sigma(f_j) - y_ij (divided by N), as the notes derive."""
    scores, Y = batch
    _, dscores = impl.call("logistic_loss", scores, Y)
    assert_close(dscores, _sigmoid_minus(scores, Y) / len(Y), rtol=1e-9, atol=1e-15,
                 name="dscores vs (sigma(f) - y) / N")


@invariant("logistic_loss")
@given(batch=attribute_batches(encoding="01"))
def test_logistic_gradient_matches_numeric(impl, batch):
    """The gradient matches central differences of the implementation's own loss."""
    _numeric_check(impl, "logistic_loss", batch)


@invariant("logistic_loss")
@given(f=hnp.arrays(np.float64, st.integers(1, 6), elements=finite_floats(30.0)))
def test_logistic_probabilities_sum_to_one(impl, f):
    """P(y=1) + P(y=0) = 1, reading each probability as exp(-loss) of a single score."""
    calls = [((np.array([[value]]), np.full((1, 1), label)), {}) for value in f for label in (1.0, 0.0)]
    losses = [loss for loss, _ in impl.call_many("logistic_loss", calls)]
    p1, p0 = np.exp(-np.array(losses[0::2])), np.exp(-np.array(losses[1::2]))
    assert_close(p1 + p0, np.ones_like(f), rtol=0, atol=1e-12,
                 name=f"P(y=1) + P(y=0) at the scores f = {f!r}")


@invariant("logistic_loss")
@given(batch=attribute_batches(encoding="01", bound=1e4))
def test_logistic_stable_for_large_scores(impl, batch):
    """Scores up to |f| = 1e4 give a finite loss and gradient that match the reference."""
    _agrees_with_reference(impl, "logistic_loss", batch)


@invariant("logistic_loss")
@given(batch=attribute_batches(encoding="01"))
def test_logistic_sums_over_attributes(impl, batch):
    """Attributes are independent: the loss is the sum (not the mean) of per-column losses."""
    _sum_of_columns(impl, "logistic_loss", *batch)


@invariant("logistic_loss")
@given(batch=attribute_batches(encoding="01"))
def test_logistic_averages_over_examples(impl, batch):
    """The data loss is a mean over N: stacking the batch twice keeps the loss, halves dscores."""
    _doubled_batch(impl, "logistic_loss", batch, batched=(0, 1))


# ------------------------------------------------------------------------------ regression

@invariant("l2_regression_loss")
@given(batch=regression_batches())
def test_l2_regression_matches_reference(impl, batch):
    """Loss ||f - y||_2^2 (no 1/2) and gradient agree with the reference, outliers included."""
    _agrees_with_reference(impl, "l2_regression_loss", batch)


@invariant("l2_regression_loss")
@given(batch=regression_batches())
def test_l2_regression_gradient_is_twice_the_difference(impl, batch):
    """dL_i/df_j = 2 (f_j - y_ij) / N: proportional to the error, even for outliers."""
    pred, target = batch
    _, dpred = impl.call("l2_regression_loss", pred, target)
    assert_close(dpred, 2.0 * (pred - target) / len(pred), rtol=1e-12, atol=0,
                 name="dpred vs 2 (f - y) / N")


@invariant("l2_regression_loss")
@given(batch=regression_batches(outlier=0))
def test_l2_regression_gradient_matches_numeric(impl, batch):
    """The gradient matches central differences of the implementation's own loss."""
    _numeric_check(impl, "l2_regression_loss", batch)


@invariant("l2_regression_loss")
@given(batch=regression_batches())
def test_l2_regression_quadratic_in_the_error(impl, batch):
    """Doubling the error quadruples the loss (the norm is squared)."""
    pred, target = batch
    delta = pred - target
    zero = np.zeros_like(delta)
    loss = impl.call("l2_regression_loss", delta, zero)[0]
    loss2 = impl.call("l2_regression_loss", 2.0 * delta, zero)[0]
    assert_close(loss2, 4.0 * loss, rtol=1e-12, atol=0, name="loss of the doubled error")


@invariant("l2_regression_loss")
@given(batch=regression_batches())
def test_l2_regression_averages_over_examples(impl, batch):
    """The data loss is a mean over N: stacking the batch twice keeps the loss, halves dpred."""
    _doubled_batch(impl, "l2_regression_loss", batch, batched=(0, 1))


@invariant("l1_regression_loss")
@given(batch=st.one_of(regression_batches(), regression_batches(ties=True)))
def test_l1_regression_matches_reference(impl, batch):
    """Loss ||f - y||_1 and subgradient sign(f - y) (0 at a tie) agree with the reference."""
    _agrees_with_reference(impl, "l1_regression_loss", batch)


@invariant("l1_regression_loss")
@given(batch=away_from_l1_kinks(regression_batches()))
def test_l1_regression_gradient_is_sign_of_difference(impl, batch):
    """Away from ties, dL_i/df_j = sign(f_j - y_ij) / N: only the sign of the error counts."""
    pred, target = batch
    _, dpred = impl.call("l1_regression_loss", pred, target)
    assert_close(dpred, np.sign(pred - target) / len(pred), rtol=1e-12, atol=0,
                 name="dpred vs sign(f - y) / N")


@invariant("l1_regression_loss")
@given(batch=regression_batches(ties=True))
def test_l1_regression_subgradient_zero_at_kink(impl, batch):
    """Where f_j equals y_ij exactly, the documented subgradient is exactly 0 (finite, no NaN).

    (Any value in [-1/N, 1/N] is a subgradient there; compared in units of 1/N, another
    valid choice is a deviation bounded by 1.)"""
    pred, target = batch
    _, dpred = impl.call("l1_regression_loss", pred, target)
    tie = pred == target
    assert_close(dpred[tie] * len(pred), np.zeros(int(tie.sum())), rtol=0, atol=0,
                 name=f"N * dpred at the {int(tie.sum())} exact tie(s)")


@invariant("l1_regression_loss")
@given(batch=away_from_l1_kinks(regression_batches(outlier=0)))
def test_l1_regression_gradient_matches_numeric(impl, batch):
    """Away from ties, the gradient matches central differences of the loss."""
    _numeric_check(impl, "l1_regression_loss", batch)


@invariant("l1_regression_loss")
@given(batch=st.one_of(regression_batches(), regression_batches(ties=True)))
def test_l1_regression_gradient_bounded_under_outliers(impl, batch):
    """Every gradient entry stays within 1/N in size, however large the outliers."""
    pred, target = batch
    _, dpred = impl.call("l1_regression_loss", pred, target)
    bound = 1.0 / len(pred)
    excess = np.maximum(np.abs(np.asarray(dpred, dtype=np.float64)) - bound, 0.0)
    assert_close(excess, np.zeros_like(excess), rtol=0, atol=bound * 1e-12,
                 name=f"how far |dpred| exceeds 1/N = {bound!r}")


@invariant("l1_regression_loss")
@given(batch=regression_batches())
def test_l1_regression_linear_in_the_error(impl, batch):
    """Doubling the error doubles the loss (no quadratic zone around 0)."""
    pred, target = batch
    delta = pred - target
    zero = np.zeros_like(delta)
    loss = impl.call("l1_regression_loss", delta, zero)[0]
    loss2 = impl.call("l1_regression_loss", 2.0 * delta, zero)[0]
    assert_close(loss2, 2.0 * loss, rtol=1e-12, atol=0, name="loss of the doubled error")


@invariant("l1_regression_loss")
@given(batch=st.one_of(regression_batches(), regression_batches(ties=True)))
def test_l1_regression_averages_over_examples(impl, batch):
    """The data loss is a mean over N: stacking the batch twice keeps the loss, halves dpred."""
    _doubled_batch(impl, "l1_regression_loss", batch, batched=(0, 1))


# --------------------------------------------------------------------------- structured SVM

STRUCTURED = st.one_of(structured_batches(), structured_batches(ties=True))


def _brute_force_wrong_best(unary, pairwise, y):
    """Per example: max over every WRONG sequence s of Hamming(s, y) + score(s) - score(y).

    The structured hinge of an example is max(0, this): the true sequence itself scores 0.
    """
    n, length, labels = unary.shape

    def score(i, s):
        total = sum(unary[i, t, s[t]] for t in range(length))
        return total + sum(pairwise[s[t], s[t + 1]] for t in range(length - 1))

    out = []
    for i in range(n):
        truth = tuple(int(v) for v in y[i])
        best = max(score(i, s) + sum(a != b for a, b in zip(s, truth, strict=True))
                   for s in itertools.product(range(labels), repeat=length) if s != truth)
        out.append(best - score(i, truth))
    return np.array(out)


@invariant("structured_svm_loss")
@given(batch=STRUCTURED)
def test_structured_svm_matches_reference(impl, batch):
    """Loss agrees with the reference; gradients too wherever the maximising sequence is unique."""
    smooth = structured_max_gap(*batch) > KINK_GAP
    _agrees_with_reference(impl, "structured_svm_loss", batch, gradients=smooth)


@invariant("structured_svm_loss")
@given(batch=STRUCTURED)
def test_structured_svm_is_max_over_structures(impl, batch):
    """The loss is the max over all sequences of Hamming margin + score, minus the true score.

    Checked against brute-force enumeration of every sequence, averaged over N.
    """
    loss, _, _ = impl.call("structured_svm_loss", *batch)
    want = np.maximum(0.0, _brute_force_wrong_best(*batch)).mean()
    assert_close(loss, want, rtol=1e-9, atol=1e-9, name="loss vs brute force")


@invariant("structured_svm_loss")
@given(batch=structured_margin_batches())
def test_structured_svm_zero_iff_margin_holds(impl, batch):
    """Zero loss exactly when the true sequence beats every other by its Hamming distance.

    When it does so with room to spare, the gradient is zero as well.
    """
    loss, dunary, dpairwise = impl.call("structured_svm_loss", *batch)
    worst = _brute_force_wrong_best(*batch).max()
    if worst <= 0.0:
        assert abs(loss) <= 1e-9, f"every margin holds, yet the loss is {loss!r}"
    if worst < -KINK_GAP:  # strictly inside: no wrong sequence is even tied with the truth
        assert not np.any(dunary) and not np.any(dpairwise), (
            "every margin holds strictly, yet the gradient is not 0")
    if worst > 1e-6:
        assert loss > 0.0, f"a margin is violated by {worst!r}, yet the loss is {loss!r}"


@invariant("structured_svm_loss")
@given(batch=structured_batches().filter(lambda b: structured_max_gap(*b) > KINK_GAP))
def test_structured_svm_gradient_matches_numeric(impl, batch):
    """Where the maximiser is unique, unary and pairwise gradients match central differences."""
    _numeric_check(impl, "structured_svm_loss", batch, wrt=(0, 1))


@invariant("structured_svm_loss")
@given(batch=structured_batches().filter(lambda b: structured_max_gap(*b) > KINK_GAP))
def test_structured_svm_averages_over_examples(impl, batch):
    """Mean over N: the doubled batch keeps the loss and dpairwise, and halves dunary."""
    _doubled_batch(impl, "structured_svm_loss", batch, batched=(0, 2), shared=(2,))


# -------------------------------------------------------------------------- total objective

@invariant("total_objective")
@given(batch=linear_objective_batches())
def test_total_objective_matches_reference(impl, batch):
    """Loss and dW agree with the reference softmax data loss plus 1/2 reg ||W||^2."""
    _agrees_with_reference(impl, "total_objective", batch)


@invariant("total_objective")
@given(batch=linear_objective_batches())
def test_total_objective_gradient_is_data_plus_regularization(impl, batch):
    """dW = X^T dscores (data part, at reg = 0) + reg W; the penalty adds 1/2 reg ||W||^2."""
    W, X, y, reg = batch
    loss, dW = impl.call("total_objective", W, X, y, reg)
    loss0, dW0 = impl.call("total_objective", W, X, y, 0.0)
    _, dscores = ref.softmax_loss(X @ W, y)
    assert_close(dW0, X.T @ dscores, rtol=1e-7, atol=1e-10, name="data gradient X^T dscores")
    assert_close(dW - dW0, reg * W, rtol=1e-7, atol=1e-10, name="regularization gradient")
    assert_close(loss - loss0, 0.5 * reg * np.sum(W * W), rtol=1e-7, atol=1e-10,
                 name="regularization penalty")


@invariant("total_objective")
@given(batch=linear_objective_batches())
def test_total_objective_gradient_matches_numeric(impl, batch):
    """dW matches central differences of the implementation's own total objective."""
    _numeric_check(impl, "total_objective", batch)


# ============================================ every loss's gradient vs autograd of the reference
# The third opinion on each gradient: autograd differentiates the reference forward pass (the
# loss as the notes define it, written once, no hand-derived gradient), at the same inputs and
# away from the same kinks as the central-difference checks above (the helper,
# _autograd_check, is defined with the softmax and SVM ones near the top).

@invariant("squared_hinge_loss")
@given(batch=away_from_hinge_kinks(classification_batches()))
def test_squared_hinge_gradient_matches_autograd(impl, batch):
    """Away from kinks, the gradient matches autograd applied to the reference forward pass."""
    _autograd_check(impl, "squared_hinge_loss", batch)


@invariant("crammer_singer_loss")
@given(batch=away_from_crammer_singer_kinks(classification_batches(), KINK_GAP))
def test_crammer_singer_gradient_matches_autograd(impl, batch):
    """Away from kinks, the gradient matches autograd applied to the reference forward pass."""
    _autograd_check(impl, "crammer_singer_loss", batch)


@invariant("attribute_hinge_loss")
@given(batch=away_from_attribute_hinge_kinks(attribute_batches(encoding="pm1")))
def test_attribute_hinge_gradient_matches_autograd(impl, batch):
    """Away from kinks, the gradient matches autograd applied to the reference forward pass."""
    _autograd_check(impl, "attribute_hinge_loss", batch)


@invariant("logistic_loss")
@given(batch=attribute_batches(encoding="01"))
def test_logistic_gradient_matches_autograd(impl, batch):
    """The gradient (sigma(f) - y, averaged) matches autograd of the reference forward pass."""
    _autograd_check(impl, "logistic_loss", batch)


@invariant("l2_regression_loss")
@given(batch=regression_batches(outlier=0))
def test_l2_regression_gradient_matches_autograd(impl, batch):
    """The gradient matches autograd applied to the reference forward pass."""
    _autograd_check(impl, "l2_regression_loss", batch)


@invariant("l1_regression_loss")
@given(batch=away_from_l1_kinks(regression_batches(outlier=0)))
def test_l1_regression_gradient_matches_autograd(impl, batch):
    """Away from ties, the gradient matches autograd applied to the reference forward pass."""
    _autograd_check(impl, "l1_regression_loss", batch)


@invariant("structured_svm_loss")
@given(batch=structured_batches().filter(lambda b: structured_max_gap(*b) > KINK_GAP))
def test_structured_svm_gradient_matches_autograd(impl, batch):
    """Where the maximiser is unique, unary and pairwise gradients match autograd applied to
    the reference forward pass."""
    _autograd_check(impl, "structured_svm_loss", batch, wrt=(0, 1))


@invariant("total_objective")
@given(batch=linear_objective_batches())
def test_total_objective_gradient_matches_autograd(impl, batch):
    """dW matches autograd applied to the reference total objective (data loss + L2)."""
    _autograd_check(impl, "total_objective", batch)
