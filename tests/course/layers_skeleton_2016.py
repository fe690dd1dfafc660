# ruff: noqa: F841, UP031, NPY002  (the course skeleton as handed out: unused setup, % format, global seed)
"""An untouched course file in the older (2016) layout, written for nncheck's tests.

Two-space indents; every function the learner has to write starts from placeholders
(``out = None``, ``loss = 0.0`` ...), has its TODO region between banners of ``#`` holding
only comments and ``pass``, and returns the placeholders. nncheck must report every
component as not implemented, never as failed.
"""

import numpy as np


def affine_forward(x, w, b):
  """Not a contract component: a skeleton nncheck neither checks nor lists."""
  out = None
  ############################################################################
  # TODO: the affine layer.                                                  #
  ############################################################################
  pass
  ############################################################################
  #                               END OF TODO                                #
  ############################################################################
  cache = (x, w, b)
  return out, cache


def svm_loss(x, y):
  """Hinge loss of class scores x (N, C) for labels y; returns (loss, dx)."""
  loss, dx = None, None
  ############################################################################
  # TODO: the multiclass SVM loss and its gradient.                          #
  ############################################################################
  pass
  return loss, dx


def softmax_loss(x, y):
  """Cross-entropy of class scores x (N, C) for labels y; returns (loss, dx)."""
  loss = None
  dx = None
  # TODO: the softmax loss and its gradient.
  return loss, dx


def batchnorm_forward(x, gamma, beta, bn_param):
  """Batch normalization, train or test mode (bn_param['mode']).

  Keeps running averages of the mean and variance in bn_param, with the decay
  bn_param['momentum'], for the test mode to use.
  """
  mode = bn_param['mode']
  eps = bn_param.get('eps', 1e-5)
  momentum = bn_param.get('momentum', 0.9)

  N, D = x.shape
  running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
  running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))

  out, cache = None, None
  if mode == 'train':
    ##########################################################################
    # TODO: normalize with the statistics of the batch, scale and shift,     #
    # and update the running averages.                                       #
    ##########################################################################
    pass
    ##########################################################################
    #                             END OF TODO                                #
    ##########################################################################
  elif mode == 'test':
    ##########################################################################
    # TODO: normalize with the running averages, then scale and shift.       #
    ##########################################################################
    pass
  else:
    raise ValueError('Unknown batchnorm mode "%s"' % mode)

  # The running averages go back into bn_param.
  bn_param['running_mean'] = running_mean
  bn_param['running_var'] = running_var

  return out, cache


def batchnorm_backward(dout, cache):
  """Gradients of batchnorm_forward (train mode): returns (dx, dgamma, dbeta)."""
  dx, dgamma, dbeta = None, None, None
  ############################################################################
  # TODO: backpropagate through the computational graph.                     #
  ############################################################################
  pass
  return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
  """The same gradients, simplified on paper first."""
  dx, dgamma, dbeta = None, None, None
  # TODO
  return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
  """Inverted dropout; dropout_param holds p (keep probability), mode and maybe seed."""
  p, mode = dropout_param['p'], dropout_param['mode']
  if 'seed' in dropout_param:
    np.random.seed(dropout_param['seed'])

  mask = None
  out = None

  if mode == 'train':
    # TODO: draw the mask and apply it.
    pass
  elif mode == 'test':
    # TODO: the test-time pass.
    pass

  cache = (dropout_param, mask)
  out = out.astype(x.dtype, copy=False)

  return out, cache


def dropout_backward(dout, cache):
  """Gradient of dropout_forward."""
  dropout_param, mask = cache
  mode = dropout_param['mode']

  dx = None
  if mode == 'train':
    # TODO
    pass
  elif mode == 'test':
    dx = dout
  return dx


def svm_loss_vectorized(W, X, y, reg):
  """Linear SVM with L2 regularization, no loops; returns (loss, dW)."""
  loss = 0.0
  dW = np.zeros(W.shape)  # the gradient starts at zero

  ############################################################################
  # TODO: the loss, in one go.                                               #
  ############################################################################
  pass

  ############################################################################
  # TODO: the gradient, in one go.                                           #
  ############################################################################
  pass

  return loss, dW


def softmax_loss_naive(W, X, y, reg):
  """Softmax classifier with L2 regularization, with loops; returns (loss, dW)."""
  # Both start at zero.
  loss = 0.0
  dW = np.zeros_like(W)

  # TODO: loop over the examples.
  pass

  return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
  """Softmax classifier with L2 regularization, no loops; returns (loss, dW)."""
  loss = 0.0
  dW = np.zeros_like(W)
  # TODO
  return loss, dW
