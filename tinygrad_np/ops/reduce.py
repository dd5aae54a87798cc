"""Reductions: sum, mean, max over axes (``dim``/``keepdim`` in the Tensor API)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function

Array = np.ndarray


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
