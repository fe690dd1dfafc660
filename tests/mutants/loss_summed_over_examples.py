"""Every loss summed over the N examples instead of averaged (correct in every other respect)."""

from nncheck.reference import losses as _ref


def _summed(fn):
    def summed(*args):
        n = len(args[0])
        loss, *grads = fn(*args)
        return (loss * n, *(g * n for g in grads))  # BUG: the data loss is a mean over N
    return summed


squared_hinge_loss = _summed(_ref.squared_hinge_loss)
crammer_singer_loss = _summed(_ref.crammer_singer_loss)
hierarchical_softmax_loss = _summed(_ref.hierarchical_softmax_loss)
attribute_hinge_loss = _summed(_ref.attribute_hinge_loss)
logistic_loss = _summed(_ref.logistic_loss)
l2_regression_loss = _summed(_ref.l2_regression_loss)
l1_regression_loss = _summed(_ref.l1_regression_loss)
structured_svm_loss = _summed(_ref.structured_svm_loss)

MUST_FAIL = [
    f"{name}::{name.removesuffix('_loss')}_averages_over_examples"
    for name in ["squared_hinge_loss", "crammer_singer_loss", "hierarchical_softmax_loss",
                 "attribute_hinge_loss", "logistic_loss", "l2_regression_loss",
                 "l1_regression_loss", "structured_svm_loss"]
]
