"""Correct components written the way a PyTorch user writes them: tensors in and out, the
gradients left to autograd, and one batch norm as a custom torch.autograd.Function with its
own backward (tests/test_native.py checks that they conform with no glue)."""

import math

import torch


def softmax_loss(logits, labels):  # a user's own parameter names
    return torch.nn.functional.cross_entropy(logits, labels)


def svm_loss(scores, y):
    n = scores.shape[0]
    correct = scores[torch.arange(n), y].unsqueeze(1)
    margins = torch.clamp(scores - correct + 1.0, min=0.0)
    margins = margins * (1 - torch.nn.functional.one_hot(y, scores.shape[1]))
    return margins.sum() / n


def l2_penalty(W, reg):
    return 0.5 * reg * (W * W).sum()


def glorot_init(fan_in, fan_out, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(fan_in, fan_out, generator=g, dtype=torch.float64) * math.sqrt(
        2.0 / (fan_in + fan_out))


class _BatchNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, gamma, beta, eps):
        mean = x.mean(0)
        var = x.var(0, unbiased=False)
        xhat = (x - mean) / torch.sqrt(var + eps)
        ctx.save_for_backward(xhat, gamma, torch.sqrt(var + eps))
        return gamma * xhat + beta

    @staticmethod
    def backward(ctx, dout):
        xhat, gamma, std = ctx.saved_tensors
        n = dout.shape[0]
        dxhat = dout * gamma
        dx = (n * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0)) / (n * std)
        return dx, (dout * xhat).sum(0), dout.sum(0), None


def batchnorm_train(x, gamma, beta, eps=1e-5):
    return _BatchNorm.apply(x, gamma, beta, eps)


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (x - running_mean) / torch.sqrt(running_var + eps) + beta
