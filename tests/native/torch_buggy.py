"""PyTorch code with the bugs framework users make; each must be rejected (tests/test_native.py)."""

import torch


class _BatchNormNoMeanPath(torch.autograd.Function):
    """A hand-written backward that forgets the path through the batch mean in dx."""

    @staticmethod
    def forward(ctx, x, gamma, beta, eps):
        xhat = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=False) + eps)
        ctx.save_for_backward(xhat, gamma, torch.sqrt(x.var(0, unbiased=False) + eps))
        return gamma * xhat + beta

    @staticmethod
    def backward(ctx, dout):
        xhat, gamma, std = ctx.saved_tensors
        dxhat = dout * gamma
        dx = (dxhat - xhat * (dxhat * xhat).mean(0)) / std  # no - dxhat.mean(0)
        return dx, (dout * xhat).sum(0), dout.sum(0), None


def batchnorm_train(x, gamma, beta, eps=1e-5):
    return _BatchNormNoMeanPath.apply(x, gamma, beta, eps)


def softmax_loss(scores, y):
    """The loss is right, but .detach() cuts it off from autograd: no gradient flows."""
    return torch.nn.functional.cross_entropy(scores.detach(), y)
