"""Reference losses of the notes' section "Loss functions".

Scores ``f`` are [N x C] (node scores, unary scores and regression outputs have their own
shapes, see each function); the data loss is the mean over N of the per-example losses, and
the total objective adds the L2 penalty of "Regularization".
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np


def _logsumexp_rows(scores):
    """log(sum_j exp(f_ij)) per row, shifted by the row maximum (differentiable by autograd).

    Written here rather than taken from autograd.scipy.special, which imports all of
    scipy.stats (a third of a second in every process that loads the reference)."""
    top = anp.max(scores, axis=1, keepdims=True)
    return (top + anp.log(anp.sum(anp.exp(scores - top), axis=1, keepdims=True)))[:, 0]


def softmax_loss_forward(scores, y):
    """Mean cross-entropy of the row-wise softmax; stable for any score magnitude."""
    n = scores.shape[0]
    log_norm = _logsumexp_rows(scores)
    return anp.mean(log_norm - scores[anp.arange(n), y])


def softmax_loss(scores, y):
    """(loss, dscores): dscores_i = (softmax(f_i) - onehot(y_i)) / N."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, y].mean()
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    return float(loss), dscores / n


def _margins(scores, y):
    """f_j - f_{y_i} + 1 for every j, with the j = y_i entries excluded (set to 0)."""
    n = scores.shape[0]
    correct = scores[anp.arange(n), y][:, None]
    not_target = anp.arange(scores.shape[1])[None, :] != anp.asarray(y)[:, None]
    return (scores - correct + 1.0) * not_target


def svm_loss_forward(scores, y):
    """Mean Weston-Watkins multiclass hinge with margin 1."""
    return anp.mean(anp.sum(anp.maximum(0.0, _margins(scores, y)), axis=1))


def svm_loss(scores, y):
    """(loss, dscores): +1 on every violating class, minus their count on the target."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    margins = _margins(scores, y)
    active = (margins > 0).astype(np.float64)
    loss = np.maximum(0.0, margins).sum(axis=1).mean()
    dscores = active
    dscores[np.arange(n), y] = -active.sum(axis=1)
    return float(loss), dscores / n


# --------------------------------------------------------------------- squared hinge


def squared_hinge_loss_forward(scores, y):
    """Mean over N of sum over j != y_i of max(0, f_j - f_{y_i} + 1)^2 ("Loss functions")."""
    return anp.mean(anp.sum(anp.maximum(0.0, _margins(scores, y)) ** 2, axis=1))


def squared_hinge_loss(scores, y):
    """(loss, dscores): 2 * margin on every violating class, minus their sum on the target."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    hinge = np.maximum(0.0, _margins(scores, y))
    loss = (hinge**2).sum(axis=1).mean()
    dscores = 2.0 * hinge
    dscores[np.arange(n), y] = -dscores.sum(axis=1)
    return float(loss), dscores / n


# ------------------------------------------------------------------- Crammer-Singer


def _best_other(scores, y):
    """Index of the highest non-target score of each row (the first one on a tie)."""
    n = scores.shape[0]
    masked = np.array(scores, dtype=np.float64)
    masked[np.arange(n), y] = -np.inf
    return masked.argmax(axis=1)


def crammer_singer_loss_forward(scores, y):
    """Mean over N of max(0, 1 + max_{j != y_i} f_j - f_{y_i}): the max replaces the sum."""
    n = scores.shape[0]
    not_target = anp.arange(scores.shape[1])[None, :] != anp.asarray(y)[:, None]
    others = anp.where(not_target, scores, -anp.inf)
    best = anp.max(others, axis=1)
    return anp.mean(anp.maximum(0.0, 1.0 + best - scores[anp.arange(n), y]))


def crammer_singer_loss(scores, y):
    """(loss, dscores): +1 on the best other class and -1 on the target where violated."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    rows = np.arange(n)
    best = _best_other(scores, y)
    hinge = 1.0 + scores[rows, best] - scores[rows, y]
    active = (hinge > 0).astype(np.float64)
    dscores = np.zeros_like(scores)
    dscores[rows, best] += active
    dscores[rows, y] -= active
    return float(np.maximum(0.0, hinge).mean()), dscores / n


# ---------------------------------------------------------------- hierarchical softmax


def hierarchical_softmax_loss_forward(node_scores, y, tree):
    """Mean over N of -log p(y_i), p(label) = prod over its path of sigma(direction * s_node).

    ``tree[c]`` is the path of label ``c`` from the root: (node, direction) pairs with
    direction +1 for the branch taken with probability sigma(s_node), -1 for the other.
    """
    rows, nodes, directions = _path_entries(y, tree)  # every node on the examples' paths
    z = directions * node_scores[rows, nodes]
    return anp.sum(anp.logaddexp(0.0, -z)) / node_scores.shape[0]


def hierarchical_softmax_loss(node_scores, y, tree):
    """(loss, dnode_scores); each example touches only the inner nodes on its label's path.

    d(-log sigma(d s))/ds = -d * sigma(-d s); every other node score gets gradient 0.
    """
    node_scores = np.asarray(node_scores, dtype=np.float64)
    n = node_scores.shape[0]
    dscores = np.zeros_like(node_scores)
    rows, nodes, directions = _path_entries(y, tree)
    z = directions * node_scores[rows, nodes]
    loss = float(np.sum(np.logaddexp(0.0, -z)))
    np.add.at(dscores, (rows, nodes), -directions * _sigmoid(-z))
    return loss / n, dscores / n


def _path_entries(y, tree):
    """(rows, nodes, directions): one entry per (example, node on its label's path); each
    example reads its own label's path once, nothing else."""
    pairs = [(i, node, direction) for i, label in enumerate(y) for node, direction in tree[int(label)]]
    rows, nodes, directions = (np.array(v) for v in zip(*pairs, strict=True))
    return rows.astype(np.int64), nodes.astype(np.int64), directions.astype(np.float64)


def hierarchical_leaf_probabilities(node_scores, tree):
    """[N x C] probability of every leaf (the full, O(C) computation; for checks only)."""
    node_scores = np.asarray(node_scores, dtype=np.float64)
    logp = np.zeros((node_scores.shape[0], len(tree)))
    for label, path in enumerate(tree):
        for node, direction in path:
            logp[:, label] -= np.logaddexp(0.0, -direction * node_scores[:, node])
    return np.exp(logp)


def tree_paths(nested):
    """Paths of a binary tree given as nested pairs, e.g. ``((0, 2), 1)``: leaves are labels.

    Inner nodes are numbered in preorder from 0; the left branch has direction +1.
    Returns ``tree`` with ``tree[label]`` = [(node, direction), ...] from the root.
    """
    paths = {}
    counter = [0]

    def walk(sub, prefix):
        if isinstance(sub, (int, np.integer)):
            paths[int(sub)] = prefix
            return
        node = counter[0]
        counter[0] += 1
        walk(sub[0], [*prefix, (node, 1)])
        walk(sub[1], [*prefix, (node, -1)])

    walk(nested, [])
    if sorted(paths) != list(range(len(paths))):
        raise ValueError(f"the leaves of a label tree must be 0..C-1, got {sorted(paths)}")
    return [paths[c] for c in range(len(paths))]


# ------------------------------------------------------------- attribute classification


def _sigmoid(x):
    """Logistic function, computed without overflow for any float64 ``x``."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def attribute_hinge_loss_forward(scores, Y):
    """Mean over N of sum over attributes j of max(0, 1 - y_ij f_j), Y in {-1, +1}."""
    return anp.mean(anp.sum(anp.maximum(0.0, 1.0 - Y * scores), axis=1))


def attribute_hinge_loss(scores, Y):
    """(loss, dscores): -y_ij on every attribute with y_ij f_j < 1, 0 elsewhere."""
    scores = np.asarray(scores, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n = scores.shape[0]
    hinge = 1.0 - Y * scores
    loss = np.maximum(0.0, hinge).sum(axis=1).mean()
    return float(loss), np.where(hinge > 0, -Y, 0.0) / n


def logistic_loss_forward(scores, Y):
    """Mean over N of the summed binary cross-entropies, Y in {0, 1}.

    -[y log sigma(f) + (1 - y) log(1 - sigma(f))] = log(1 + e^f) - y f, written with
    logaddexp so that no exponential overflows.
    """
    return anp.mean(anp.sum(anp.logaddexp(0.0, scores) - Y * scores, axis=1))


def logistic_loss(scores, Y):
    """(loss, dscores): dL_i/df_j = sigma(f_j) - y_ij, divided by N."""
    scores = np.asarray(scores, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n = scores.shape[0]
    loss = (np.logaddexp(0.0, scores) - Y * scores).sum(axis=1).mean()
    # sigma(f) - y, written so that y = 1 with sigma(f) near 1 loses no precision.
    dscores = np.where(Y > 0.5, -_sigmoid(-scores), _sigmoid(scores))
    return float(loss), dscores / n


# ----------------------------------------------------------------------- regression


def l2_regression_loss_forward(pred, target):
    """Mean over N of ||f - y||_2^2 (squared, no 1/2)."""
    return anp.mean(anp.sum((pred - target) ** 2, axis=1))


def l2_regression_loss(pred, target):
    """(loss, dpred): 2 * (f - y) / N."""
    delta = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    return float((delta**2).sum(axis=1).mean()), 2.0 * delta / delta.shape[0]


def l1_regression_loss_forward(pred, target):
    """Mean over N of ||f - y||_1."""
    return anp.mean(anp.sum(anp.abs(pred - target), axis=1))


def l1_regression_loss(pred, target):
    """(loss, dpred): sign(f - y) / N, with the subgradient 0 where f == y."""
    delta = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    return float(np.abs(delta).sum(axis=1).mean()), np.sign(delta) / delta.shape[0]


# ------------------------------------------------------------------- structured SVM


def all_sequences(length, labels):
    """Every label sequence of ``length`` positions over ``labels`` labels: [K^T x T] ints."""
    grids = np.meshgrid(*[np.arange(labels)] * length, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1).astype(np.int64)


def sequence_scores(unary, pairwise, sequences):
    """Score of each sequence for one example: sum of unary[t, s_t] + pairwise[s_t, s_t+1]."""
    t = np.arange(sequences.shape[1])
    total = unary[t, sequences].sum(axis=1)
    if sequences.shape[1] > 1:
        total = total + pairwise[sequences[:, :-1], sequences[:, 1:]].sum(axis=1)
    return total


def batch_sequence_scores(unary, pairwise, sequences):
    """[N x S] score of every sequence (rows of ``sequences`` [S x T]) for every example
    of ``unary`` [N x T x K]; written with autograd.numpy, so it is differentiable."""
    t = np.arange(sequences.shape[1])
    total = anp.sum(unary[:, t, sequences], axis=2)
    if sequences.shape[1] > 1:
        total = total + anp.sum(pairwise[sequences[:, :-1], sequences[:, 1:]], axis=1)[None, :]
    return total


def _true_scores(unary, pairwise, y):
    """[N] score of each example's true sequence y_i."""
    n, length = y.shape
    total = anp.sum(unary[np.arange(n)[:, None], np.arange(length)[None, :], y], axis=1)
    if length > 1:
        total = total + anp.sum(pairwise[y[:, :-1], y[:, 1:]], axis=1)
    return total


def structured_svm_loss_forward(unary, pairwise, y):
    """Mean over N of max over all sequences s of [Hamming(s, y_i) + score(s)] - score(y_i)."""
    n, length, labels = unary.shape
    y = np.asarray(y, dtype=np.int64)
    seqs = all_sequences(length, labels)
    hamming = (seqs[None, :, :] != y[:, None, :]).sum(axis=2)
    augmented = batch_sequence_scores(unary, pairwise, seqs) + hamming
    return anp.sum(anp.max(augmented, axis=1) - _true_scores(unary, pairwise, y)) / n


def structured_svm_loss(unary, pairwise, y):
    """(loss, dunary, dpairwise) by enumerating every sequence (the space is small).

    The maximiser s* (the first one in lexicographic order on a tie) gets +1 on its unary
    and pairwise scores, the true sequence -1; nothing when the true sequence attains the
    max (the margin holds, possibly with equality).
    """
    unary = np.asarray(unary, dtype=np.float64)
    pairwise = np.asarray(pairwise, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    n, length, labels = unary.shape
    seqs = all_sequences(length, labels)
    t = np.arange(length)
    dunary = np.zeros_like(unary)
    dpairwise = np.zeros_like(pairwise)
    augmented = (batch_sequence_scores(unary, pairwise, seqs)
                 + (seqs[None, :, :] != y[:, None, :]).sum(axis=2))
    top = augmented.max(axis=1)
    true_score = _true_scores(unary, pairwise, y)
    loss = float(np.sum(top - true_score))
    # the truth is (one of) the maximisers where top <= true_score: no gradient there
    active = np.flatnonzero(top > true_score)
    best = seqs[np.argmax(augmented[active], axis=1)]  # [A x T], first maximiser on ties
    truth = y[active]
    rows = active[:, None]
    np.add.at(dunary, (rows, t[None, :], best), 1.0)
    np.add.at(dunary, (rows, t[None, :], truth), -1.0)
    np.add.at(dpairwise, (best[:, :-1], best[:, 1:]), 1.0)
    np.add.at(dpairwise, (truth[:, :-1], truth[:, 1:]), -1.0)
    return loss / n, dunary / n, dpairwise / n


# ------------------------------------------------------------------- total objective


def total_objective_forward(W, X, y, reg):
    """Mean softmax cross-entropy of the scores X @ W plus the L2 penalty 1/2 reg ||W||^2."""
    return softmax_loss_forward(anp.dot(X, W), y) + 0.5 * reg * anp.sum(W * W)


def total_objective(W, X, y, reg):
    """(loss, dW): data gradient X^T dscores plus regularization gradient reg * W."""
    W = np.asarray(W, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    data_loss, dscores = softmax_loss(X @ W, y)
    loss = data_loss + 0.5 * reg * float(np.sum(W * W))
    return float(loss), X.T @ dscores + reg * W
