"""L2 regression with delta = y - f (the notes' wording) in the gradient: it points uphill."""



def l2_regression_loss(pred, target):
    n = pred.shape[0]
    delta = target - pred
    return (delta**2).sum() / n, 2.0 * delta / n  # BUG: d/df of (f - y)^2 is 2 (f - y)


MUST_FAIL = [
    "l2_regression_loss::l2_regression_gradient_matches_numeric",
    "l2_regression_loss::l2_regression_gradient_matches_autograd",
    "l2_regression_loss::l2_regression_gradient_is_twice_the_difference",
]
