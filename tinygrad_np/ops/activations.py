"""The activations: ReLU, LeakyReLU, Sigmoid, Softplus, Tanh, GELU (run by the layers of the same names,
by the Tensor methods and by ``F.*``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..numerics import blockwise, normal_cdf, softplus_neg_abs, stable_sigmoid

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


_SQRT_2_OVER_PI = float(np.sqrt(2 / np.pi))
_INV_SQRT_2PI = float(1 / np.sqrt(2 * np.pi))
_GELU_CUBIC = 0.044715


class GELUFunction(Function):
    """x Φ(x), Φ the standard normal CDF (``approximate="none"``, with ``numerics.normal_cdf``), or
    PyTorch's ``approximate="tanh"``: x/2 (1 + tanh(u)), u = sqrt(2/π) (x + 0.044715 x³). Any shape.

        none:  dy/dx = Φ(x) + x φ(x),   φ(x) = exp(-x²/2) / sqrt(2π)
        tanh:  dy/dx = (1 + t)/2 + x/2 (1 - t²) sqrt(2/π) (1 + 3 · 0.044715 x²),   t = tanh(u)
    """

    @staticmethod
    def forward(ctx: Any, a: Array, *, approximate: str = "none") -> Array:
        dt = a.dtype.type
        if approximate == "tanh":
            t = np.tanh(dt(_SQRT_2_OVER_PI) * (a + dt(_GELU_CUBIC) * a * a * a))
            ctx.save_for_backward(a, t, approximate)
            return dt(0.5) * a * (1 + t)
        cdf = normal_cdf(a)
        ctx.save_for_backward(a, cdf, approximate)
        return a * cdf

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        a, c, approximate = ctx.saved_tensors
        dt = a.dtype.type
        if approximate == "tanh":
            du = dt(_SQRT_2_OVER_PI) * (1 + dt(3 * _GELU_CUBIC) * a * a)
            return (g * (dt(0.5) * (1 + c) + dt(0.5) * a * (1 - c * c) * du),)
        return (blockwise(_gelu_grad, a, c, g),)


def _gelu_grad(a: Array, c: Array, g: Array) -> Array:
    """g (Φ(x) + x φ(x)), with c = Φ(x) saved by forward."""
    dt = a.dtype.type
    d = np.exp(a * a * dt(-0.5))
    d *= dt(_INV_SQRT_2PI)
    d *= a
    d += c
    d *= g
    return d
