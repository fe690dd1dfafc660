"""PyTorch as an implementation under test (``--impl torch``; extra ``nncheck[torch]``).

Every component maps onto a public torch API. Where torch's convention differs from the
contract (``/work/shared/DESIGN.md``, "What third parties do differently"), the adapter
converts it and declares a :class:`~nncheck.implementation.Deviation` with the reason, so the
report shows it. Nothing else is converted: any other disagreement is a failure, including
the real ones. BatchNorm's documented refusal of a training batch of one row is declared
(``kind="refusal"``) on the invariants of that regime alone.

Gradients come from torch's own autograd (``torch.autograd.grad``) of the forward it computed.
All tensors are float64 on the CPU; results go back as numpy float64.

=============================  ===========================================================
component                      torch API
=============================  ===========================================================
zeros_init .. he_init          ``nn.init.zeros_/normal_/kaiming_normal_/xavier_normal_`` on a
                               [fan_out x fan_in] tensor, returned transposed
sparse_init                    ``nn.init.sparse_(sparsity=1 - k / fan_in)`` on a
                               [fan_out x fan_in] tensor, returned transposed
bias_init                      ``nn.init.constant_``
batchnorm_*                    ``nn.BatchNorm1d`` / ``nn.BatchNorm2d`` (spatial)
l2_penalty                     ``optim.SGD(weight_decay=reg)``: one step on a zero gradient
max_norm_project               ``torch.renorm(p=2, dim=0)`` on the [out x in] transpose
dropout_forward/backward       ``F.dropout``
softmax_loss                   ``F.cross_entropy``
svm_loss / squared_hinge_loss  ``F.multi_margin_loss`` (p=1 / p=2)
logistic_loss                  ``F.binary_cross_entropy_with_logits``
l2/l1_regression_loss          ``F.mse_loss`` / ``F.l1_loss``
total_objective                ``F.cross_entropy`` of X @ W + ``SGD(weight_decay)`` gradient
=============================  ===========================================================
"""

from __future__ import annotations

import math

import numpy as np

from nncheck.adapters import reject_unknown_options
from nncheck.adapters.conventions import NORM_GUARD_BOUND, NORM_GUARD_TEXT
from nncheck.contract import COMPONENTS
from nncheck.errors import UsageError
from nncheck.implementation import Deviation, Implementation

LAYOUT = ("torch weights are [out x in] (fan_in = shape[1]); the adapter initializes a "
          "[fan_out x fan_in] tensor and returns its transpose")
ONE_ROW = ("torch BatchNorm refuses a training batch with one value per channel (N = 1): it "
           "raises 'Expected more than 1 value per channel when training' (pytorch#4534, "
           "by design); every other invariant draws N >= 2")
NO_EPS = ("torch batch_norm refuses eps = 0 in training ('batch_norm eps must be positive "
          "during training'); this invariant holds exactly only without eps, so it uses eps = 0")
DEVIATIONS = [
    *(Deviation(c, ONE_ROW, invariant=i, kind="refusal") for c, i in (
        ("batchnorm_train", "batchnorm_train_single_row_outputs_beta"),
        ("batchnorm_backward", "batchnorm_backward_single_row_matches_reference"),
        ("batchnorm_running_update", "batchnorm_running_update_single_row"))),
    *(Deviation(c, NO_EPS, invariant=i, kind="refusal") for c, i in (
        ("batchnorm_train", "batchnorm_train_invariant_to_positive_feature_scale"),
        ("batchnorm_train", "batchnorm_train_undoes_weight_scale_of_previous_layer"),
        ("batchnorm_backward", "batchnorm_backward_dx_orthogonal_to_normalized_input"))),
    *(Deviation(c, LAYOUT) for c in ("zeros_init", "small_random_init", "glorot_init",
                                     "he_init")),
    Deviation("calibrated_init", f"{LAYOUT}; torch has no 1/sqrt(fan_in) initializer by that "
              "name: kaiming_normal_(nonlinearity='linear') (gain 1) is that init"),
    Deviation("sparse_init", f"{LAYOUT}, as torch users call sparse_ on a Linear weight, with "
              "sparsity = 1 - k / fan_in; sparse_ zeroes a fixed number of entries in every "
              "COLUMN of that tensor, i.e. per input unit, so each neuron's number of non-zero "
              "weights varies (not the k per neuron of the scheme its docstring cites, Martens "
              "2010), and it draws the positions from torch's global RNG (randperm ignores "
              "generator=)"),
    Deviation("bias_init", "torch Linear's default bias is uniform(+-1/sqrt(fan_in)), not a "
              "constant; the adapter uses nn.init.constant_"),
    Deviation("batchnorm_running_update", "torch momentum weights the NEW batch (default 0.1): "
              "the adapter passes 1 - momentum; torch running_var uses the unbiased batch "
              "variance (n/(n-1)): the adapter rescales torch's update of it by (n-1)/n"),
    Deviation("l2_penalty", "torch exposes L2 only as weight_decay, a gradient term: dW is read "
              "from one SGD(lr=1, weight_decay=reg) step on a zero data gradient, and the "
              "penalty reported is 0.5 * <W, dW>, the quadratic that gradient integrates to"),
    Deviation("max_norm_project", "torch renorm(dim=0) rescales rows of [out x in] weights; "
              "the adapter applies it to W.T"),
    # Keras declares the same guard (nncheck.adapters.conventions)
    Deviation("max_norm_project", NORM_GUARD_TEXT.format(name="torch renorm (maxnorm / (n + "
              "1e-7) for rows above maxnorm)"), invariant="max_norm_matches_reference",
              kind="expected-failure", bound=NORM_GUARD_BOUND),
    *(Deviation(c, "torch p is the probability of DROPPING a unit; the adapter passes 1 - p "
              "and sets training from mode (F.dropout defaults to training=True)")
      for c in ("dropout_forward", "dropout_backward")),
    *(Deviation(c, "torch multi_margin_loss divides each example's sum by the number of "
              "classes C; the adapter multiplies loss and gradient by C")
      for c in ("svm_loss", "squared_hinge_loss")),
    Deviation("logistic_loss", "torch binary_cross_entropy_with_logits averages over N*C; the "
              "adapter multiplies by C (the contract sums over attributes)"),
    *(Deviation(c, "torch mse_loss/l1_loss average over N*D; the adapter multiplies by D "
              "(the contract sums over output dimensions)")
      for c in ("l2_regression_loss", "l1_regression_loss")),
    Deviation("total_objective", "the L2 part is torch weight_decay (SGD, lr=1, on the zero "
              "gradient), the penalty value 0.5 * <W, dW_decay>"),
]
# One reason per component, and per invariant named.
assert len({(d.component, d.invariant) for d in DEVIATIONS}) == len(DEVIATIONS)


def _torch():
    try:
        import torch
    except ImportError:
        raise UsageError("the torch adapter needs PyTorch: pip install 'nncheck[torch]' "
                         "(torch==2.13.0)") from None
    return torch


def load(options: dict | None = None) -> Implementation:
    reject_unknown_options(options or {}, set(), "the torch adapter")
    torch = _torch()
    # Tiny tensors: torch's intra-op thread pool only adds contention (a 2-core CI machine
    # runs several suites at once); results do not depend on the thread count.
    torch.set_num_threads(1)
    return Implementation("torch", _functions(torch), version=torch.__version__,
                          source="torch (CPU, float64)", deviations=DEVIATIONS)


def _functions(torch):
    """One closure per component, all alike."""
    import torch.nn.functional as F  # noqa: N812
    from torch import nn

    f64 = torch.float64

    def t(a, grad=False):
        return torch.tensor(np.asarray(a, dtype=np.float64), dtype=f64, requires_grad=grad)

    def out(tensor):
        return tensor.detach().numpy().astype(np.float64, copy=True)

    def gen(seed):
        return torch.Generator().manual_seed(int(seed))

    # ------------------------------------------------------------------ initialization
    def _init(fan_in, fan_out, fill):
        w = torch.empty(fan_out, fan_in, dtype=f64)  # torch layout [out x in]
        fill(w)
        return out(w.T)

    def zeros_init(fan_in, fan_out, seed):
        return _init(fan_in, fan_out, nn.init.zeros_)

    def small_random_init(fan_in, fan_out, seed, scale=0.01):
        return _init(fan_in, fan_out, lambda w: nn.init.normal_(w, 0.0, scale, generator=gen(seed)))

    def calibrated_init(fan_in, fan_out, seed):
        return _init(fan_in, fan_out, lambda w: nn.init.kaiming_normal_(
            w, nonlinearity="linear", generator=gen(seed)))

    def glorot_init(fan_in, fan_out, seed):
        return _init(fan_in, fan_out, lambda w: nn.init.xavier_normal_(w, generator=gen(seed)))

    def he_init(fan_in, fan_out, seed):
        return _init(fan_in, fan_out, lambda w: nn.init.kaiming_normal_(
            w, nonlinearity="relu", generator=gen(seed)))

    def sparse_init(fan_in, fan_out, seed, k=10, scale=0.01):
        # As a torch user asks for k inputs per neuron: sparse_ on the Linear weight
        # [fan_out x fan_in] with the fraction 1 - k / fan_in of its entries zeroed.
        sparsity = max(1.0 - int(k) / int(fan_in), 0.0) if int(fan_in) > 0 else 0.0
        return _init(fan_in, fan_out, lambda w: nn.init.sparse_(
            w, sparsity, std=scale, generator=gen(seed)))

    def bias_init(fan_out, value=0.0):
        return out(nn.init.constant_(torch.empty(fan_out, dtype=f64), value))

    # ------------------------------------------------------------- batch normalization
    def _bn(x, gamma, beta, eps, momentum=0.1, spatial=False):
        cls = nn.BatchNorm2d if spatial else nn.BatchNorm1d
        layer = cls(len(gamma), eps=eps, momentum=momentum, dtype=f64)
        with torch.no_grad():
            layer.weight.copy_(t(gamma))
            layer.bias.copy_(t(beta))
        return layer

    def _bn_train(x, gamma, beta, eps, spatial):
        layer = _bn(x, gamma, beta, eps, spatial=spatial).train()
        xt = t(x, grad=True)
        y = layer(xt)
        return out(y), (xt, y, layer)

    def _bn_backward(dout, cache):
        xt, y, layer = cache
        dx, dgamma, dbeta = torch.autograd.grad(y, (xt, layer.weight, layer.bias), t(dout),
                                                retain_graph=True)
        return out(dx), out(dgamma), out(dbeta)

    batchnorm_backward = spatial_batchnorm_backward = _bn_backward  # torch autograd

    def batchnorm_train(x, gamma, beta, eps=1e-5):
        return _bn_train(x, gamma, beta, eps, spatial=False)

    def spatial_batchnorm_train(x, gamma, beta, eps=1e-5):
        return _bn_train(x, gamma, beta, eps, spatial=True)

    def batchnorm_running_update(running_mean, running_var, x, momentum=0.9):
        d = x.shape[1]
        layer = _bn(x, np.ones(d), np.zeros(d), 1e-5, momentum=1.0 - momentum).train()
        with torch.no_grad():
            layer.running_mean.copy_(t(running_mean))
            layer.running_var.copy_(t(running_var))
            layer(t(x))
        n = x.shape[0]
        old_var = np.asarray(running_var, dtype=np.float64)
        kept = momentum * old_var
        new_var = kept + (out(layer.running_var) - kept) * ((n - 1) / n)
        return out(layer.running_mean), new_var

    def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
        layer = _bn(x, gamma, beta, eps).eval()
        with torch.no_grad():
            layer.running_mean.copy_(t(running_mean))
            layer.running_var.copy_(t(running_var))
            return out(layer(t(x)))

    # ------------------------------------------------------------------ regularization
    def _decay_gradient(W, reg):
        w = torch.nn.Parameter(t(W))
        w.grad = torch.zeros_like(w)
        torch.optim.SGD([w], lr=1.0, weight_decay=float(reg)).step()
        return np.asarray(W, dtype=np.float64) - out(w)

    def l2_penalty(W, reg):
        dW = _decay_gradient(W, reg)
        return 0.5 * float(np.sum(np.asarray(W) * dW)), dW

    def max_norm_project(W, c):
        return out(torch.renorm(t(W).T, p=2, dim=0, maxnorm=float(c)).T)

    def dropout_forward(x, p, mode, seed):
        xt = t(x, grad=True)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            y = F.dropout(xt, p=1.0 - p, training=(mode == "train"))
        return out(y), (xt, y)

    def dropout_backward(dout, mask, p, mode):
        xt, y = mask
        (dx,) = torch.autograd.grad(y, xt, t(dout), retain_graph=True)
        return out(dx)

    # -------------------------------------------------------------------------- losses
    def _loss(fn, a, b, factor=1.0):
        at = t(a, grad=True)
        loss = fn(at, b) * factor
        (grad,) = torch.autograd.grad(loss, at)
        return float(loss.item()), out(grad)

    def labels(y):
        return torch.tensor(np.asarray(y), dtype=torch.long)

    def softmax_loss(scores, y):
        return _loss(F.cross_entropy, scores, labels(y))

    def svm_loss(scores, y):
        return _loss(lambda s, yy: F.multi_margin_loss(s, yy, p=1, margin=1.0), scores,
                     labels(y), scores.shape[1])

    def squared_hinge_loss(scores, y):
        return _loss(lambda s, yy: F.multi_margin_loss(s, yy, p=2, margin=1.0), scores,
                     labels(y), scores.shape[1])

    def logistic_loss(scores, Y):
        return _loss(F.binary_cross_entropy_with_logits, scores, t(Y), scores.shape[1])

    def l2_regression_loss(pred, target):
        return _loss(F.mse_loss, pred, t(target), math.prod(pred.shape[1:]))

    def l1_regression_loss(pred, target):
        return _loss(F.l1_loss, pred, t(target), math.prod(pred.shape[1:]))

    def total_objective(W, X, y, reg):
        loss, dW = _loss(lambda w, yy: F.cross_entropy(t(X) @ w, yy), W, labels(y))
        decay = _decay_gradient(W, reg)
        return loss + 0.5 * float(np.sum(np.asarray(W) * decay)), dW + decay

    return {name: fn for name, fn in locals().items() if name in COMPONENTS}
