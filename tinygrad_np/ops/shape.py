"""Shape ops: reshape, transpose (any permutation), expand, indexing, cat and stack. No arithmetic:
gradients are moved (or, for expand, summed over the copies), not scaled."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.engine import unbroadcast
from ..autograd.function import Function

Array = np.ndarray


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


class Expand(Function):
    """a broadcast to ``shape`` (a read-only view, as PyTorch's ``expand``); the gradient is summed
    over the copies."""

    @staticmethod
    def forward(ctx: Any, a: Array, shape: tuple[int, ...] = ()) -> Array:
        ctx.save_for_backward(np.shape(a))
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (unbroadcast(g, ctx.saved_tensors[0]),)


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
        if _basic(index):  # slices and ints pick each element at most once: plain assignment
            out[index] = g
        else:
            np.add.at(out, index, g)
        return (out,)


def _basic(index: Any) -> bool:
    """True for NumPy's basic indexing (ints, slices, None, Ellipsis): no element picked twice."""
    items = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(i, int | slice | type(None) | type(Ellipsis)) and not isinstance(i, bool) for i in items
    )


class Cat(Function):
    """The inputs joined along ``axis`` (their other dims equal); the gradient is cut back into pieces."""

    shape_rule = "agree in every dim but the one joined"

    @staticmethod
    def forward(ctx: Any, *arrays: Array, axis: int = 0) -> Array:
        y = np.concatenate(arrays, axis=axis)
        ctx.save_for_backward(axis, np.cumsum([a.shape[axis] for a in arrays])[:-1])
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, ...]:
        axis, cuts = ctx.saved_tensors
        return tuple(np.split(g, cuts, axis=axis))


class Stack(Function):
    """The inputs (all of one shape) stacked along a new dim ``axis``; the gradient is unstacked."""

    shape_rule = "all be the same"

    @staticmethod
    def forward(ctx: Any, *arrays: Array, axis: int = 0) -> Array:
        ctx.save_for_backward(axis)
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, ...]:
        return tuple(np.moveaxis(g, ctx.saved_tensors[0], 0))
