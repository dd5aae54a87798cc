"""The losses: binary cross-entropy (on probabilities, on logits, and fused after a sigmoid), mean squared
error. Each takes (pred, target) and ``reduction`` ("mean" divides by the number of elements, "sum"
does not), returns a 0-d array, and differentiates with respect to ``pred`` only."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..numerics import softplus_neg_abs, stable_sigmoid

Array = np.ndarray

EPS = 1e-12  # as PyTorch's BCELoss: the smallest p (1 - p) that backward divides by
LOG_FLOOR = -100.0  # as PyTorch's BCELoss: log(0) counts as -100, so the loss stays finite


def _scale(reduction: str, n: int) -> float:
    return 1.0 / n if reduction == "mean" else 1.0


class BCE(Function):
    """L = -scale · Σ [y log p + (1 - y) log(1 - p)], each log floored at -100 (PyTorch's BCELoss).

    dL/dp = scale · (p - y) / (p (1 - p)), the denominator clamped at 1e-12 as in PyTorch."""

    shape_rule = ""

    @staticmethod
    def forward(ctx: Any, p: Array, y: Array, reduction: str = "mean") -> Array:
        with np.errstate(divide="ignore"):  # log(0) = -inf, floored to -100 just below
            log_p = np.maximum(np.log(p), LOG_FLOOR)
            log_1mp = np.maximum(np.log1p(-p), LOG_FLOOR)
        # y log p + (1 - y) log(1 - p), written as log(1-p) + y (log p - log(1-p)): one product fewer.
        log_p -= log_1mp
        log_p *= y
        log_p += log_1mp
        scale = _scale(reduction, p.size)
        ctx.save_for_backward(p, y, scale)
        return np.asarray(-np.sum(log_p) * scale, dtype=p.dtype)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, None]:
        p, y, scale = ctx.saved_tensors
        dp = p - y
        dp /= np.maximum(p * (1 - p), EPS)
        dp *= p.dtype.type(scale) * g
        return dp, None


class SigmoidBCE(Function):
    """BCE(sigmoid(z), y) as one formula: the value is BCE's, and the gradient with respect to the logit z
    is scale · (p - y), without dividing by p (1 - p) and multiplying back (so also exact where p (1 - p)
    is below the clamp). Its ctx holds what BCE's does, (p, y, scale): a Sigmoid layer followed by
    BCELoss takes this gradient from the loss's ctx (``BCELoss.logit_grad``)."""

    shape_rule = ""

    @staticmethod
    def forward(ctx: Any, z: Array, y: Array, reduction: str = "mean") -> Array:
        return BCE.forward(ctx, stable_sigmoid(z), y, reduction)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, None]:
        p, y, scale = ctx.saved_tensors
        return (p - y) * (p.dtype.type(scale) * g), None


class BCEWithLogits(Function):
    """L = scale · Σ [max(z, 0) - z y + log(1 + exp(-|z|))]: sigmoid + BCE, stable for any z.
    dL/dz = scale · (sigmoid(z) - y)."""

    shape_rule = ""

    @staticmethod
    def forward(ctx: Any, z: Array, y: Array, reduction: str = "mean") -> Array:
        loss = np.maximum(z, 0) - z * y + softplus_neg_abs(z)
        scale = _scale(reduction, z.size)
        ctx.save_for_backward(z, y, scale)
        return np.asarray(np.sum(loss) * scale, dtype=z.dtype)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, None]:
        z, y, scale = ctx.saved_tensors
        return (stable_sigmoid(z) - y) * (z.dtype.type(scale) * g), None


class MSE(Function):
    """L = scale · Σ (p - y)²;  dL/dp = 2 scale (p - y)."""

    shape_rule = ""

    @staticmethod
    def forward(ctx: Any, p: Array, y: Array, reduction: str = "mean") -> Array:
        diff = p - y
        scale = _scale(reduction, p.size)
        ctx.save_for_backward(diff, scale)
        return np.asarray(np.sum(diff * diff) * scale, dtype=p.dtype)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, None]:
        diff, scale = ctx.saved_tensors
        return 2 * diff * (diff.dtype.type(scale) * g), None
