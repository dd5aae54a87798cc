"""Numerically stable building blocks shared by layers, losses and the graph's ops (ndarrays in and out)."""

from __future__ import annotations

import numpy as np


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow: with e = exp(-|z|) <= 1, sigmoid is 1/(1+e) for z >= 0
    and e/(1+e) for z < 0. Finite for any finite z, dtype preserved."""
    e = np.exp(-np.abs(z))
    num = np.where(z >= 0, 1, e)  # the Python 1 takes e's dtype
    e += 1
    return np.divide(num, e, out=num)


def softplus_neg_abs(z: np.ndarray) -> np.ndarray:
    """log(1 + exp(-|z|)): the overflow-free part of log-sigmoid and of BCE with logits."""
    return np.log1p(np.exp(-np.abs(z)))
