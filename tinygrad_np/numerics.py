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


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(z)) along ``axis`` without overflow: z - max(z) - log(sum(exp(z - max(z)))). The
    largest shifted value is 0, so exp never overflows and the sum is >= 1 (its log is finite).
    Finite for any finite z, dtype preserved; an empty ``axis`` gives an empty result."""
    out = z - _max(z, axis)
    if out.size:  # (an empty input: no sums of nothing to take the log of)
        out -= np.log(np.sum(np.exp(out), axis=axis, keepdims=True))
    return out


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z) / sum(exp(z)) along ``axis``, computed on z - max(z) (the same value, no overflow);
    entries are in [0, 1] and sum to 1. dtype preserved; an empty ``axis`` gives an empty result."""
    e = np.exp(z - _max(z, axis))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _max(z: np.ndarray, axis: int) -> np.ndarray:
    """max(z) along ``axis`` (kept as a dimension of 1); -inf along an empty axis instead of an error."""
    return np.max(z, axis=axis, keepdims=True, initial=-np.inf)
