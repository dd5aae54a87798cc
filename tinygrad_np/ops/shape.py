"""Shape ops: reshape, transpose (any permutation), indexing. No arithmetic: gradients are moved, not
scaled."""

from __future__ import annotations

from typing import Any

import numpy as np

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
