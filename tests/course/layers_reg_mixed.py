"""A course-style file whose linear classifiers contradict themselves: the loss adds
0.5 * reg * sum(W * W) but the gradient 2 * reg * W (the gradient of reg * sum(W * W)).

The adapter cannot tell which convention is meant, so it detects none and assumes the
course's reg * sum(W * W): the gradient checks must still fail, whatever is declared.
"""

from layers_reg_half import _softmax, _svm


def svm_loss_vectorized(W, X, y, reg):
    loss, dscores = _svm(X.dot(W), y)
    return loss + 0.5 * reg * (W * W).sum(), X.T.dot(dscores) + 2 * reg * W  # BUG: 2 * reg


def softmax_loss_vectorized(W, X, y, reg):
    loss, dscores = _softmax(X.dot(W), y)
    return loss + 0.5 * reg * (W * W).sum(), X.T.dot(dscores) + 2 * reg * W  # BUG: 2 * reg


MUST_FAIL_COMPONENTS = ["linear_svm_loss", "total_objective"]
