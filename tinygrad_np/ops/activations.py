"""The activations: ReLU, LeakyReLU, Sigmoid, Softplus, Tanh (run by the layers of the same names,
by the Tensor methods and by ``F.*``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..numerics import softplus_neg_abs, stable_sigmoid

Array = np.ndarray


class ReLUFunction(Function):
    """max(a, 0); gradient 0 at exactly 0."""

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        ctx.save_for_backward(a > 0)
        return np.maximum(a, 0)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * ctx.saved_tensors[0],)


class LeakyReLUFunction(Function):
    """a where a > 0, slope * a elsewhere."""

    @staticmethod
    def forward(ctx: Any, a: Array, slope: float = 0.01) -> Array:
        s = np.where(a > 0, a.dtype.type(1), a.dtype.type(slope))
        ctx.save_for_backward(s)
        return a * s

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * ctx.saved_tensors[0],)


class SigmoidFunction(Function):
    """1 / (1 + exp(-a)), stable; dy/da = y (1 - y)."""

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        y = stable_sigmoid(np.asarray(a))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        y = ctx.saved_tensors[0]
        return (g * y * (1 - y),)


class Softplus(Function):
    """log(1 + exp(a)) = max(a, 0) + log(1 + exp(-|a|)), stable; d/da = sigmoid(a)."""

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        ctx.save_for_backward(a)
        return np.maximum(a, 0) + softplus_neg_abs(a)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * stable_sigmoid(np.asarray(ctx.saved_tensors[0])),)


class TanhFunction(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        y = np.tanh(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        y = ctx.saved_tensors[0]
        return (g * (1 - y * y),)
