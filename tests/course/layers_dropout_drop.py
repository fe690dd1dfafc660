# ruff: noqa: NPY002  (the course API seeds the global numpy generator)
"""A correct course file of the 2016 kind, whose dropout p is the probability of DROPPING a
unit ("We drop each neuron output with probability p"): inverted dropout, scaled by 1 / (1 - p).

Checked as is it fails the keep-probability contract (and says why); with
``--convention dropout_p=drop`` it conforms.
"""

import numpy as np


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) >= p) / (1 - p)
        out = x * mask
    else:
        out = x
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout
