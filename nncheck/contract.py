"""The contract: every component of the notes, its canonical signature and conventions.

This module is the single list of what nncheck checks. Each :class:`Component` names
the section of the notes it comes from ("Setting up the data and the loss"), the
function signature an implementation must offer under that name, what it returns, and
the conventions that pin down the places where libraries differ. ``docs/contract.md``
is the user-facing write-up of the same table.

Output specs (``Component.outputs``) are checked on every call by
:mod:`nncheck.runtime.calling`:

* ``"scalar"``            a finite real number (python float or 0-d array)
* ``"like:ARG"``          a float64 array with the shape of input argument ``ARG``
* ``"shape:ARG[:k]"``     a float64 array with the first ``k`` axes of ``ARG``'s shape
* ``"array"``             a float64 array of any shape
* ``"opaque"``            not checked, and kept in the implementation process: the checker
                          only passes it back (caches, masks)
* ``"any"``               not checked (fitted objects, dicts of gradients)
"""

from __future__ import annotations

from dataclasses import dataclass

# Section titles of the notes, in the order they appear, with the property file of each.
PREPROCESSING = "Data Preprocessing"
INITIALIZATION = "Weight Initialization"
BATCHNORM = "Batch Normalization"
REGULARIZATION = "Regularization"
LOSSES = "Loss functions"

SECTIONS: dict[str, str] = {
    PREPROCESSING: "test_data_preprocessing.py",
    INITIALIZATION: "test_weight_initialization.py",
    BATCHNORM: "test_batch_normalization.py",
    REGULARIZATION: "test_regularization.py",
    LOSSES: "test_loss_functions.py",
}

# Conventions shared by many components (DESIGN.md, "Conventions of the contract").
FLOAT64 = "arrays are numpy float64 at the boundary; adapters convert"
ROWS_ARE_EXAMPLES = "data matrix X is [N x D], one example per row"
TRAIN_ONLY = "statistics are fitted on the training split only, then applied to every split"
POPULATION = "population statistics: var/std with ddof=0, covariance X^T X / N"
W_LAYOUT = "weights are [fan_in x fan_out], scores s = x @ W, a neuron is a column"
KEEP_P = "p is the probability of KEEPING a unit"
MEAN_OVER_N = "data loss is the mean over the N examples of the per-example losses"
SEEDED = "takes an integer seed: same seed, same output"
L2_HALF = "L2 penalty is 1/2 * lambda * w^2 (gradient lambda * w)"
DROPOUT_MODE = "mode is 'train' or 'test'"
DROPOUT_ANY_SHAPE = ("x may have any shape: a hidden layer [N x H], or the input layer itself "
                     "(X [N x D], images [N, C, H, W]); every unit has its own mask entry")


@dataclass(frozen=True)
class Component:
    """One building block of the notes and the contract an implementation must meet."""

    name: str
    section: str
    signature: str
    summary: str
    outputs: tuple[str, ...] = ()
    conventions: tuple[str, ...] = ()
    reference: str = ""  # "module:attribute" of the numpy reference
    kind: str = "function"  # or "estimator": returns an object with fit/transform

    @property
    def property_file(self) -> str:
        return SECTIONS[self.section]


def _c(name, section, signature, summary, outputs=(), conventions=(), reference="", kind="function"):
    return Component(
        name=name,
        section=section,
        signature=signature,
        summary=summary,
        outputs=tuple(outputs),
        conventions=(FLOAT64, *conventions),
        reference=reference,
        kind=kind,
    )


_PRE = "nncheck.reference.preprocessing"
_INIT = "nncheck.reference.initialization"
_BN = "nncheck.reference.batchnorm"
_REG = "nncheck.reference.regularization"
_LOSS = "nncheck.reference.losses"
_LIN = "nncheck.reference.linear_classifiers"

_ESTIMATOR = (ROWS_ARE_EXAMPLES, TRAIN_ONLY, POPULATION)

# How a component of kind "estimator" is used (the preprocessors of "Data Preprocessing").
ESTIMATOR_PROTOCOL = """\
Calling the component with its constructor parameters returns an estimator object:
  fit(X_train) -> the estimator itself; computes every statistic from X_train only
  transform(X) -> float64 array with one row per row of X; uses the fitted statistics only,
                  never statistics of the X it is given (X may be any split)
  inverse_transform(Z) -> float64 array like the original data, where the map is invertible
  fitted attributes (names ending in _) as listed in the component's conventions
Inputs are never modified. Properties call the methods through
nncheck.runtime.calling.call_method, which checks raising, mutation, type, dtype, shape and
finiteness of what comes back."""

# Batch Normalization conventions (docs/batchnorm.md maps the course's bn_param onto them).
_BN_VAR = "batch variance has ddof=0 (biased)"
_BN_EPS = "eps is added to the variance inside the square root"
_BN_PARAMS = "gamma and beta have shape [D]"
_BN_CACHE = "the cache is opaque: it only goes from this implementation's forward to its backward"
_BN_GRADS = "dgamma and dbeta have shape [D]; the loss is sum(out * dout)"
_INIT_CONV = (W_LAYOUT, SEEDED)

COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in [
        # ---------------------------------------------------------------- Data Preprocessing
        # Estimators (see ESTIMATOR_PROTOCOL): the call builds the object, fit(X_train)
        # returns it, transform(X) applies the training statistics to any split.
        _c("mean_subtraction", PREPROCESSING, "mean_subtraction() -> estimator",
           "subtract the per-feature training mean; inverse adds it back",
           ("any",), (*_ESTIMATOR, "fitted: mean_ [D]", "transform(X) = X - mean_",
                      "inverse_transform(Z) = Z + mean_"),
           f"{_PRE}:MeanSubtraction", "estimator"),
        _c("global_mean_subtraction", PREPROCESSING, "global_mean_subtraction() -> estimator",
           "subtract one scalar, the mean of every training value",
           ("any",), (*_ESTIMATOR, "fitted: mean_ (a scalar)", "transform(X) = X - mean_",
                      "inverse_transform(Z) = Z + mean_"),
           f"{_PRE}:GlobalMeanSubtraction", "estimator"),
        _c("channel_mean_subtraction", PREPROCESSING,
           "channel_mean_subtraction(channels) -> estimator",
           "subtract a per-channel mean from image rows laid out as [C*H*W]",
           ("any",), (*_ESTIMATOR, "rows are images flattened channel-major: [C, H, W]",
                      "fitted: mean_ [C], over every training image and pixel of a channel",
                      "inverse_transform(Z) adds the channel means back"),
           f"{_PRE}:ChannelMeanSubtraction", "estimator"),
        _c("standardization", PREPROCESSING, "standardization() -> estimator",
           "center, then divide every feature by its training std (ddof=0)",
           ("any",), (*_ESTIMATOR, "fitted: mean_ [D], scale_ [D] (the std, ddof=0)",
                      "a constant feature is centered and left unscaled (scale_ = 1)",
                      "transform(X) = (X - mean_) / scale_; inverse_transform undoes it"),
           f"{_PRE}:Standardization", "estimator"),
        _c("minmax_scaling", PREPROCESSING, "minmax_scaling() -> estimator",
           "map every feature's training [min, max] linearly onto [-1, 1]",
           ("any",), (*_ESTIMATOR, "fitted: data_min_ [D], data_max_ [D]",
                      "a constant feature maps to x - its training value (0 on the training "
                      "data); test data is not clipped", "inverse_transform undoes transform"),
           f"{_PRE}:MinMaxScaling", "estimator"),
        _c("pca", PREPROCESSING, "pca(n_components=None) -> estimator",
           "center, rotate into the covariance eigenbasis (decreasing variance), keep k axes",
           ("any",), (*_ESTIMATOR, "n_components=None keeps k = D axes",
                      "fitted: mean_ [D]; components_ is U[:, :k], a [D x k] matrix of "
                      "orthonormal columns; explained_variance_ [k] holds the eigenvalues of "
                      "X^T X / N (centered X), in decreasing order",
                      "transform(X) = (X - mean_) @ components_ -> [N x k]; the sign of each "
                      "component is free", "inverse_transform(Z) = Z @ components_.T + mean_"),
           f"{_PRE}:PCA", "estimator"),
        _c("whitening", PREPROCESSING, "whitening(n_components=None, eps=1e-5) -> estimator",
           "PCA rotation, then divide each axis by sqrt(eigenvalue + eps)",
           ("any",), (*_ESTIMATOR, "eps is added to the eigenvalue inside the square root",
                      "fitted: as pca (mean_, components_, explained_variance_)",
                      "transform(X) = (X - mean_) @ components_ / sqrt(explained_variance_ + "
                      "eps); the whitened training covariance is diag(S / (S + eps))",
                      "rank-deficient data stays finite for eps > 0"),
           f"{_PRE}:Whitening", "estimator"),
        # ------------------------------------------------------------- Weight Initialization
        _c("zeros_init", INITIALIZATION, "zeros_init(fan_in, fan_out, seed) -> W",
           "all weights zero (the pitfall: symmetry never breaks)",
           ("array",), _INIT_CONV, f"{_INIT}:zeros_init"),
        _c("small_random_init", INITIALIZATION,
           "small_random_init(fan_in, fan_out, seed, scale=0.01) -> W",
           "scale * standard normal", ("array",), _INIT_CONV, f"{_INIT}:small_random_init"),
        _c("calibrated_init", INITIALIZATION, "calibrated_init(fan_in, fan_out, seed) -> W",
           "standard normal / sqrt(fan_in): Var(w) = 1/n keeps Var(s) = Var(x)",
           ("array",), _INIT_CONV, f"{_INIT}:calibrated_init"),
        _c("glorot_init", INITIALIZATION, "glorot_init(fan_in, fan_out, seed) -> W",
           "normal with Var(w) = 2 / (fan_in + fan_out), not truncated",
           ("array",), _INIT_CONV, f"{_INIT}:glorot_init"),
        _c("he_init", INITIALIZATION, "he_init(fan_in, fan_out, seed) -> W",
           "standard normal * sqrt(2 / fan_in), for ReLU layers, not truncated",
           ("array",), _INIT_CONV, f"{_INIT}:he_init"),
        _c("sparse_init", INITIALIZATION,
           "sparse_init(fan_in, fan_out, seed, k=10, scale=0.01) -> W",
           "each column (neuron) has exactly min(k, fan_in) non-zero small gaussian weights",
           ("array",), _INIT_CONV, f"{_INIT}:sparse_init"),
        _c("bias_init", INITIALIZATION, "bias_init(fan_out, value=0.0) -> b",
           "constant biases: 0, or a small constant such as 0.01 for ReLU units",
           ("array",), (), f"{_INIT}:bias_init"),
        # --------------------------------------------------------------- Batch Normalization
        _c("batchnorm_train", BATCHNORM,
           "batchnorm_train(x, gamma, beta, eps=1e-5) -> (out, cache)",
           "normalize each feature with the batch mean and biased batch variance, "
           "then scale by gamma and shift by beta",
           ("like:x", "opaque"), (ROWS_ARE_EXAMPLES, _BN_VAR, _BN_EPS, _BN_PARAMS, _BN_CACHE),
           f"{_BN}:batchnorm_train"),
        _c("batchnorm_backward", BATCHNORM,
           "batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)",
           "gradients of batchnorm_train, step by step through its computational graph",
           ("like:dout", "array", "array"), (_BN_CACHE, _BN_GRADS), f"{_BN}:batchnorm_backward"),
        _c("batchnorm_backward_alt", BATCHNORM,
           "batchnorm_backward_alt(dout, cache) -> (dx, dgamma, dbeta)",
           "the same gradients in simplified closed form: dx = gamma / (N sqrt(var + eps)) "
           "* (N dout - dbeta - xhat * dgamma)",
           ("like:dout", "array", "array"), (_BN_CACHE, _BN_GRADS),
           f"{_BN}:batchnorm_backward_alt"),
        _c("batchnorm_running_update", BATCHNORM,
           "batchnorm_running_update(running_mean, running_var, x, momentum=0.9)"
           " -> (running_mean, running_var)",
           "exponential running averages of the batch statistics, as a training step "
           "leaves them",
           ("like:running_mean", "like:running_var"),
           ("running = momentum * running + (1 - momentum) * batch (momentum weights the OLD "
            "value, as in the course's bn_param)", _BN_VAR,
            "returns new arrays; the running statistics passed in are left unchanged"),
           f"{_BN}:batchnorm_running_update"),
        _c("batchnorm_inference", BATCHNORM,
           "batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5) -> out",
           "per-feature affine map using the running statistics, never the batch",
           ("like:x",), (ROWS_ARE_EXAMPLES, _BN_EPS, _BN_PARAMS), f"{_BN}:batchnorm_inference"),
        _c("spatial_batchnorm_train", BATCHNORM,
           "spatial_batchnorm_train(x, gamma, beta, eps=1e-5) -> (out, cache)",
           "batch normalization of [N, C, H, W] input per channel over N, H and W",
           ("like:x", "opaque"), ("gamma and beta have shape [C]", _BN_VAR, _BN_EPS, _BN_CACHE),
           f"{_BN}:spatial_batchnorm_train"),
        _c("spatial_batchnorm_backward", BATCHNORM,
           "spatial_batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)",
           "gradients of spatial_batchnorm_train",
           ("like:dout", "array", "array"), (_BN_CACHE, "dgamma and dbeta have shape [C]"),
           f"{_BN}:spatial_batchnorm_backward"),
        # -------------------------------------------------------------------- Regularization
        _c("l2_penalty", REGULARIZATION, "l2_penalty(W, reg) -> (penalty, dW)",
           "0.5 * reg * sum(W**2), gradient reg * W",
           ("scalar", "like:W"), (L2_HALF,), f"{_REG}:l2_penalty"),
        _c("l1_penalty", REGULARIZATION, "l1_penalty(W, reg) -> (penalty, dW)",
           "reg * sum(|W|), subgradient reg * sign(W) (0 at w = 0)",
           ("scalar", "like:W"), ("the subgradient at w = 0 is 0",), f"{_REG}:l1_penalty"),
        _c("elastic_net_penalty", REGULARIZATION,
           "elastic_net_penalty(W, reg_l1, reg_l2) -> (penalty, dW)",
           "reg_l1 * sum(|W|) + reg_l2 * sum(W**2) (no 1/2 on the L2 part, as in the notes)",
           ("scalar", "like:W"), ("gradient reg_l1 * sign(W) + 2 * reg_l2 * W, sign(0) = 0",),
           f"{_REG}:elastic_net_penalty"),
        _c("regularized_objective", REGULARIZATION,
           "regularized_objective(data_loss, params, grads, reg, regularize_biases=False)"
           " -> (loss, grads)",
           "total objective: data loss plus the L2 penalty 0.5 * reg * sum(W**2) of every "
           "weight; returns it and the data gradients plus reg * W",
           ("scalar", "any"),
           (L2_HALF, "params and grads are dicts name -> array with the same keys; the result "
            "is a new dict with those keys, inputs are left untouched",
            "weights are the names starting with 'W' (W1, W2, ...); biases are 'b' followed by "
            "digits or nothing (b, b1, ...) and are regularized only if regularize_biases; "
            "any other parameter (gamma1, beta1, ...) is never regularized"),
           f"{_REG}:regularized_objective"),
        _c("max_norm_project", REGULARIZATION, "max_norm_project(W, c) -> W",
           "rescale every column whose L2 norm exceeds c onto the sphere of radius c",
           ("like:W",), (W_LAYOUT, "columns inside the ball are returned unchanged"),
           f"{_REG}:max_norm_project"),
        _c("dropout_forward", REGULARIZATION,
           "dropout_forward(x, p, mode, seed) -> (out, mask)",
           "inverted dropout: train keeps each unit with probability p and divides by p; "
           "test is the identity",
           ("like:x", "opaque"), (KEEP_P, SEEDED, DROPOUT_MODE, DROPOUT_ANY_SHAPE),
           f"{_REG}:dropout_forward"),
        _c("dropout_backward", REGULARIZATION, "dropout_backward(dout, mask, p, mode) -> dx",
           "gradient of inverted dropout: through kept units only, scaled by 1/p; "
           "identity at test time",
           ("like:dout",), (KEEP_P, "mask is the second output of dropout_forward"),
           f"{_REG}:dropout_backward"),
        _c("vanilla_dropout_forward", REGULARIZATION,
           "vanilla_dropout_forward(x, p, mode, seed) -> (out, mask)",
           "vanilla dropout: train keeps each unit with probability p, unscaled; "
           "test scales by p",
           ("like:x", "opaque"), (KEEP_P, SEEDED, DROPOUT_MODE, DROPOUT_ANY_SHAPE),
           f"{_REG}:vanilla_dropout_forward"),
        _c("vanilla_dropout_backward", REGULARIZATION,
           "vanilla_dropout_backward(dout, mask, p, mode) -> dx",
           "gradient of vanilla dropout: through kept units only, unscaled; p * dout at test",
           ("like:dout",), (KEEP_P, "mask is the second output of vanilla_dropout_forward"),
           f"{_REG}:vanilla_dropout_backward"),
        _c("dropconnect_forward", REGULARIZATION,
           "dropconnect_forward(x, W, p, mode, seed) -> (out, cache)",
           "DropConnect: keep each weight (not unit) with probability p and divide by p, "
           "then x @ W; test is the plain x @ W",
           ("shape:x:1", "opaque"), (KEEP_P, SEEDED, W_LAYOUT, DROPOUT_MODE,
                                  "the reference draws one mask of W's shape per call; a mask "
                                  "per example is allowed too"),
           f"{_REG}:dropconnect_forward"),
        _c("dropconnect_backward", REGULARIZATION,
           "dropconnect_backward(dout, cache) -> (dx, dW)",
           "gradients of dropconnect_forward through the kept weights, scaled by 1/p",
           ("shape:dout:1", "array"), ("cache is the second output of dropconnect_forward",),
           f"{_REG}:dropconnect_backward"),
        # -------------------------------------------------------------------- Loss functions
        _c("softmax_loss", LOSSES, "softmax_loss(scores, y) -> (loss, dscores)",
           "cross-entropy of the softmax of each row of scores [N x C], labels y [N] in 0..C-1",
           ("scalar", "like:scores"), (MEAN_OVER_N,), f"{_LOSS}:softmax_loss"),
        _c("svm_loss", LOSSES, "svm_loss(scores, y) -> (loss, dscores)",
           "Weston-Watkins multiclass hinge: sum over j != y_i of max(0, f_j - f_y + 1)",
           ("scalar", "like:scores"), (MEAN_OVER_N, "margin is 1"), f"{_LOSS}:svm_loss"),
        _c("squared_hinge_loss", LOSSES, "squared_hinge_loss(scores, y) -> (loss, dscores)",
           "Weston-Watkins with each hinge term squared: sum over j != y_i of "
           "max(0, f_j - f_y + 1)^2; gradient 2 * margin on each violating class",
           ("scalar", "like:scores"), (MEAN_OVER_N, "margin is 1"),
           f"{_LOSS}:squared_hinge_loss"),
        _c("crammer_singer_loss", LOSSES, "crammer_singer_loss(scores, y) -> (loss, dscores)",
           "multiclass hinge with the max over j != y_i instead of the sum (Keras, optax, "
           "sklearn): max(0, 1 + max_{j != y_i} f_j - f_y)", ("scalar", "like:scores"),
           (MEAN_OVER_N, "margin is 1"), f"{_LOSS}:crammer_singer_loss"),
        _c("hierarchical_softmax_loss", LOSSES,
           "hierarchical_softmax_loss(node_scores, y, tree) -> (loss, dnode_scores)",
           "labels are leaves of a binary tree; a logistic classifier at every inner node; "
           "p(label) is the product along its path; loss -log p(y_i)",
           ("scalar", "like:node_scores"),
           (MEAN_OVER_N, "node_scores is [N x M], one column per inner node (M = C - 1)",
            "tree[c] is the path of label c from the root: a sequence of (node, direction) "
            "pairs; direction +1 is the branch taken with probability sigma(s_node), -1 the "
            "other (probability sigma(-s_node))",
            "an example reads only the paths of its own label (cost grows with the depth of "
            "that path, not with C)"),
           f"{_LOSS}:hierarchical_softmax_loss"),
        _c("attribute_hinge_loss", LOSSES, "attribute_hinge_loss(scores, Y) -> (loss, dscores)",
           "independent binary hinges: sum over attributes j of max(0, 1 - y_ij f_j)",
           ("scalar", "like:scores"),
           (MEAN_OVER_N, "Y in {-1, +1}, summed (not averaged) over attributes",
            "subgradient 0 where y_ij f_j = 1 exactly"),
           f"{_LOSS}:attribute_hinge_loss"),
        _c("logistic_loss", LOSSES, "logistic_loss(scores, Y) -> (loss, dscores)",
           "binary logistic regression per attribute, -[y log sigma(f) + (1 - y) "
           "log(1 - sigma(f))], computed stably from the scores; gradient sigma(f) - y",
           ("scalar", "like:scores"),
           (MEAN_OVER_N, "Y in {0, 1}, summed (not averaged) over attributes",
            "scores are logits (from_logits=True); finite for |f| up to 1e4"),
           f"{_LOSS}:logistic_loss"),
        _c("l2_regression_loss", LOSSES, "l2_regression_loss(pred, target) -> (loss, dpred)",
           "squared L2 norm of the difference per example, ||f - y||_2^2; gradient 2 (f - y)",
           ("scalar", "like:pred"), (MEAN_OVER_N, "no 1/2, summed over output dimensions"),
           f"{_LOSS}:l2_regression_loss"),
        _c("l1_regression_loss", LOSSES, "l1_regression_loss(pred, target) -> (loss, dpred)",
           "L1 norm of the difference per example, subgradient sign(f - y), 0 at a tie",
           ("scalar", "like:pred"), (MEAN_OVER_N, "summed over output dimensions"),
           f"{_LOSS}:l1_regression_loss"),
        _c("structured_svm_loss", LOSSES,
           "structured_svm_loss(unary, pairwise, y) -> (loss, dunary, dpairwise)",
           "max over all label sequences s of [Hamming(s, y_i) + score(s)] - score(y_i): "
           "the true sequence must beat every other by its Hamming distance",
           ("scalar", "like:unary", "like:pairwise"),
           (MEAN_OVER_N, "unary is [N x T x K]: T positions, K labels; pairwise is [K x K], "
            "shared by all examples; y is [N x T] ints",
            "score(s) = sum_t unary[t, s_t] + sum_t pairwise[s_t, s_t+1]",
            "the space (K^T sequences) is small enough to enumerate"),
           f"{_LOSS}:structured_svm_loss"),
        # ------------------------------------ Loss functions + Regularization: linear classifiers
        # The course's svm_loss_vectorized (issue 9): the multiclass SVM twin of
        # total_objective: scores X @ W, a data loss and an L2 penalty on W in one call. The
        # penalty follows this contract's L2 convention (1/2); the course writes
        # reg * sum(W * W), which its adapter maps (reg -> reg / 2; a file that writes
        # 0.5 * reg * sum(W * W) is detected and passed reg as is, nncheck/adapters/layers.py).
        _c("linear_svm_loss", LOSSES, "linear_svm_loss(W, X, y, reg) -> (loss, dW)",
           "Weston-Watkins hinge of the scores X @ W, plus 0.5 * reg * sum(W**2)",
           ("scalar", "like:W"), (MEAN_OVER_N, W_LAYOUT, "margin is 1",
                                  "L2 penalty is 1/2 * lambda * w^2"),
           f"{_LIN}:linear_svm_loss"),
        _c("total_objective", LOSSES, "total_objective(W, X, y, reg) -> (loss, dW)",
           "full objective of a linear softmax classifier: mean cross-entropy of X @ W plus "
           "the L2 penalty 1/2 reg ||W||^2; gradient X^T dscores + reg W",
           ("scalar", "like:W"),
           (MEAN_OVER_N, W_LAYOUT, ROWS_ARE_EXAMPLES, "L2 penalty is 1/2 * lambda * w^2"),
           f"{_LOSS}:total_objective"),
    ]
}


def component(name: str) -> Component:
    """The contract entry for ``name``; a clear KeyError lists the valid names."""
    try:
        return COMPONENTS[name]
    except KeyError:
        raise KeyError(
            f"unknown component {name!r}; known: {', '.join(sorted(COMPONENTS))}"
        ) from None


def by_section() -> dict[str, list[Component]]:
    """Components grouped by the section of the notes, in the notes' order."""
    groups: dict[str, list[Component]] = {s: [] for s in SECTIONS}
    for comp in COMPONENTS.values():
        groups[comp.section].append(comp)
    return groups
