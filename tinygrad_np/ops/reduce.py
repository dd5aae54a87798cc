"""Reductions: sum, mean, max, min over axes (``dim``/``keepdim`` in the Tensor API)."""

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
        return _extreme(ctx, a, np.max(a, axis=axis, keepdims=True), axis, keepdims)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (_share(ctx, g),)


class Min(Function):
    """Minimum over ``axis``; the gradient is split evenly between tied minima."""

    @staticmethod
    def forward(ctx: Any, a: Array, axis: Any = None, keepdims: bool = False) -> Array:
        return _extreme(ctx, a, np.min(a, axis=axis, keepdims=True), axis, keepdims)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (_share(ctx, g),)


def _extreme(ctx: Any, a: Array, y: Array, axis: Any, keepdims: bool) -> Array:
    """Max/Min forward, given the extreme ``y`` with kept dims: remember where ``a`` reaches it."""
    ctx.save_for_backward(a == y, axis, keepdims)
    return y if keepdims else np.squeeze(y, axis=axis)


def _share(ctx: Any, g: Array) -> Array:
    """Max/Min backward: ``g`` shared equally by the k elements that reach the extreme (1/k each)."""
    hit, axis, keepdims = ctx.saved_tensors
    return _expand(g, hit.shape, axis, keepdims) * (hit / np.sum(hit, axis=axis, keepdims=True))
