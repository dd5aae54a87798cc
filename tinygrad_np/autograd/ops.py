"""Every Tensor operation: forward and backward side by side, on plain ndarrays.

A backward returns one gradient per input, possibly at the broadcast (output) shape: the engine sums
broadcast dimensions back to each input's shape, in one place. Backwards never write into ``g``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..numerics import softplus_neg_abs, stable_sigmoid
from .function import Function

Array = np.ndarray


# -- binary, element-wise (broadcasting) -----------------------------------------------------------
class Add(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        return a + b

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, Array]:
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        return a - b

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, Array]:
        return g, -g


class Mul(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, Array | None]:
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (g * b if da else None), (g * a if db else None)


class Div(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, Array | None]:
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (g / b if da else None), (-g * a / (b * b) if db else None)


class MatMul(Function):
    """a @ b with NumPy's rules (1-D operands, batch dimensions broadcast)."""

    shape_rule = "agree for a @ b (a's last dimension = b's first matrix dimension)"

    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return a @ b

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, Array | None]:
        a, b = ctx.saved_tensors
        a2 = a[None, :] if a.ndim == 1 else a  # a vector is a one-row matrix ...
        b2 = b[:, None] if b.ndim == 1 else b  # ... or a one-column one
        g2 = np.expand_dims(g, -1) if b.ndim == 1 else g  # g gets back the dimensions @ dropped
        g2 = np.expand_dims(g2, -2) if a.ndim == 1 else g2
        da, db = ctx.needs_input_grad
        ga = g2 @ np.swapaxes(b2, -1, -2) if da else None  # dL/da = g b^T
        gb = np.swapaxes(a2, -1, -2) @ g2 if db else None  # dL/db = a^T g
        if ga is not None and a.ndim == 1:
            ga = ga[..., 0, :]
        if gb is not None and b.ndim == 1:
            gb = gb[..., 0]
        return ga, gb


# -- unary, element-wise ---------------------------------------------------------------------------
class Neg(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        return -a

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (-g,)


class Pow(Function):
    """a ** c for a number c: d/da = c a^(c-1)."""

    @staticmethod
    def forward(ctx: Any, a: Array, c: float) -> Array:
        ctx.save_for_backward(a, c)
        return a**c

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, None]:
        a, c = ctx.saved_tensors
        return g * c * a ** (c - 1), None


class Exp(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        y = np.exp(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * ctx.saved_tensors[0],)


class Log(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g / ctx.saved_tensors[0],)


class Sqrt(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        y = np.sqrt(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g / (2 * ctx.saved_tensors[0]),)


class Abs(Function):
    """|a|; gradient sign(a), 0 at exactly 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * np.sign(ctx.saved_tensors[0]),)


class Clip(Function):
    """clip(a, lo, hi) (either bound may be None); gradient 1 where lo <= a <= hi, else 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx: Any, a: Array, lo: float | None = None, hi: float | None = None) -> Array:
        inside = np.ones(a.shape, dtype=bool)
        if lo is not None:
            inside &= a >= lo
        if hi is not None:
            inside &= a <= hi
        ctx.save_for_backward(inside)
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * ctx.saved_tensors[0],)


class ReLU(Function):
    """max(a, 0); gradient 0 at exactly 0."""

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        ctx.save_for_backward(a > 0)
        return np.maximum(a, 0)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * ctx.saved_tensors[0],)


class LeakyReLU(Function):
    """a where a > 0, slope * a elsewhere."""

    @staticmethod
    def forward(ctx: Any, a: Array, slope: float = 0.01) -> Array:
        s = np.where(a > 0, a.dtype.type(1), a.dtype.type(slope))
        ctx.save_for_backward(s)
        return a * s

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * ctx.saved_tensors[0],)


class Sigmoid(Function):
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


class Tanh(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        y = np.tanh(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        y = ctx.saved_tensors[0]
        return (g * (1 - y * y),)


# -- reductions ------------------------------------------------------------------------------------
def _expand(g: Array, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Array:
    """A reduction's output gradient put back in the reduced axes, broadcast to the input's ``shape``."""
    if not keepdims:
        g = np.reshape(g, (1,) * len(shape)) if axis is None else np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, axis: Any = None, keepdims: bool = False) -> Array:
        ctx.save_for_backward(np.shape(a), axis, keepdims)
        return np.sum(a, axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (_expand(g, *ctx.saved_tensors),)


class Mean(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, axis: Any = None, keepdims: bool = False) -> Array:
        y = np.mean(a, axis=axis, keepdims=keepdims)
        ctx.save_for_backward(np.shape(a), axis, keepdims, np.size(y) / max(np.size(a), 1))
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        shape, axis, keepdims, scale = ctx.saved_tensors
        return (_expand(g * scale, shape, axis, keepdims),)


class Max(Function):
    """Maximum over ``axis``; the gradient is split evenly between tied maxima."""

    @staticmethod
    def forward(ctx: Any, a: Array, axis: Any = None, keepdims: bool = False) -> Array:
        y = np.max(a, axis=axis, keepdims=True)
        ctx.save_for_backward(a == y, axis, keepdims)
        return y if keepdims else np.squeeze(y, axis=axis)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        hit, axis, keepdims = ctx.saved_tensors
        share = hit / np.sum(hit, axis=axis, keepdims=True)  # 1/k on each of k tied maxima
        return (_expand(g, hit.shape, axis, keepdims) * share,)


# -- shape -----------------------------------------------------------------------------------------
class Reshape(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, shape: tuple[int, ...] = ()) -> Array:
        ctx.save_for_backward(np.shape(a))
        return np.reshape(a, shape)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (np.reshape(g, ctx.saved_tensors[0]),)


class Transpose(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, axes: tuple[int, ...] | None = None) -> Array:
        ctx.save_for_backward(axes)
        return np.transpose(a, axes)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        axes = ctx.saved_tensors[0]
        return (np.transpose(g, None if axes is None else np.argsort(axes)),)


class GetItem(Function):
    """a[index] (slices, integer arrays, boolean masks); repeated indices add up in backward."""

    @staticmethod
    def forward(ctx: Any, a: Array, index: Any = None) -> Array:
        ctx.save_for_backward(np.shape(a), a.dtype, index)
        return np.asarray(a[index])

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        shape, dtype, index = ctx.saved_tensors
        out = np.zeros(shape, dtype=np.result_type(dtype, g.dtype))
        np.add.at(out, index, g)
        return (out,)
