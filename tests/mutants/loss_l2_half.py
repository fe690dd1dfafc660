"""L2 regression with the 1/2 of optax' l2_loss: 1/2 ||f - y||^2, gradient (f - y)."""



def l2_regression_loss(pred, target):
    n = pred.shape[0]
    delta = pred - target
    return 0.5 * (delta**2).sum() / n, delta / n  # BUG: the contract has no 1/2


MUST_FAIL = [
    "l2_regression_loss::l2_regression_gradient_is_twice_the_difference",
    "l2_regression_loss::l2_regression_matches_reference",
]
