"""Functions on Tensors, built from the graph's ops (``import tinygrad_np.functional as F``).

Each is a few lines of Tensor code, so its gradient comes from the engine. Stable at logits of ±1000:
softmax and log-softmax subtract the maximum first; the logit losses use softplus (ops.Softplus).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..ops import activations as ops
from ..validation import fail
from .spatial import avg_pool2d, batch_norm, conv2d, max_pool2d

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "tanh",
]


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def relu(x: Tensor) -> Tensor:
    return _t(x).relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return ops.LeakyReLU.apply(_t(x), slope=negative_slope)


def sigmoid(x: Tensor) -> Tensor:
    return _t(x).sigmoid()


def tanh(x: Tensor) -> Tensor:
    return _t(x).tanh()


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), stable."""
    return _t(x).softplus()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``; the max is subtracted first (a constant: softmax ignores it)."""
    x = _t(x)
    e = (x - x.max(axis=axis, keepdims=True).detach()).exp()
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """x - log(sum(exp(x))) along ``axis``, computed as z - log(sum(exp(z))) with z = x - max(x) <= 0."""
    x = _t(x)
    z = x - x.max(axis=axis, keepdims=True).detach()
    return z - z.exp().sum(axis=axis, keepdims=True).log()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias; weight (out, in) as in PyTorch."""
    y = _t(x) @ _t(weight).T
    return y if bias is None else y + bias


def _target(who: str, target: Any, pred: Tensor) -> np.ndarray:
    """``target`` as an array shaped like ``pred`` (a (N,) target for (N, 1) predictions is reshaped)."""
    y = np.asarray(target.data if isinstance(target, Tensor) else target)
    if y.size != pred.size:
        raise fail(who, "target", f"have one value per prediction (shape {pred.shape})", f"shape {y.shape}")
    return y.reshape(pred.shape).astype(pred.dtype, copy=False)


def binary_cross_entropy(p: Tensor, target: Any) -> Tensor:
    """-mean(y log p + (1 - y) log(1 - p)) on probabilities, with log floored at -100 (as PyTorch)."""
    p = _t(p)
    y = _target("binary_cross_entropy", target, p)
    return -(y * p.log().clip(-100.0, None) + (1 - y) * (1 - p).log().clip(-100.0, None)).mean()


def binary_cross_entropy_with_logits(z: Tensor, target: Any) -> Tensor:
    """mean(softplus(z) - z y): the same as sigmoid + binary_cross_entropy, stable for any z."""
    z = _t(z)
    y = _target("binary_cross_entropy_with_logits", target, z)
    return (z.softplus() - z * y).mean()


def mse_loss(pred: Tensor, target: Any) -> Tensor:
    """mean((pred - target) ** 2)."""
    pred = _t(pred)
    d = pred - _target("mse_loss", target, pred)
    return (d * d).mean()


def cross_entropy(logits: Tensor, target: Any) -> Tensor:
    """-mean over the batch of log_softmax(logits)[n, target[n]]; logits (N, C), target (N,) integer
    class indices in [0, C), as ``torch.nn.functional.cross_entropy``."""
    logits = _t(logits)
    t = np.asarray(target.data if isinstance(target, Tensor) else target)
    if logits.ndim != 2:
        raise fail("cross_entropy", "logits", "have shape (N, C)", f"shape {logits.shape}")
    if t.dtype.kind not in "iu":
        raise fail("cross_entropy", "target", "hold integer class indices", f"dtype {t.dtype}",
                   "e.g. target.astype(np.int64)", TypeError)  # fmt: skip
    n, c = logits.shape
    if t.shape != (n,):
        rule = f"have shape ({n},) to match logits {logits.shape}"
        raise fail("cross_entropy", "target", rule, f"shape {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise fail("cross_entropy", "target", f"lie in [0, {c})", f"values from {t.min()} to {t.max()}")
    return -log_softmax(logits, axis=1)[np.arange(n), t].mean()
