"""Stateless spatial ops for Tensors, run by the layers' own forward and backward:
``conv2d``, ``max_pool2d``, ``avg_pool2d`` (re-exported by ``tinygrad_np.functional``).

Each call builds a throw-away layer (Conv2d, MaxPool2d, AvgPool2d) holding the caller's arrays, so the
math is the layer's, in one place; the node returns the gradients for the caller's own Tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..nn.conv import Conv2d
from ..nn.module import Layer
from ..nn.parameter import Parameter
from ..nn.pooling import AvgPool2d, MaxPool2d


class _LayerOp(Function):
    """One call of a throw-away layer. Inputs: (x, *arrays for the layer's parameters, in order)."""

    shape_rule = ""
    layer: Layer
    cache: Any

    def name(self) -> str:
        return type(self.layer).__name__.lower()

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, *arrays: np.ndarray, layer: Any = None) -> np.ndarray:
        for p, a in zip(layer.parameters(), arrays, strict=True):
            p.data = a
        y = layer.forward(x)
        ctx.layer, ctx.cache = layer, layer._cache
        return y

    @staticmethod
    def backward(ctx: Any, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        ctx.layer._cache = ctx.cache
        gx = ctx.layer.backward(g, input_grad=ctx.needs_input_grad[0])
        return (gx, *(p.grad for p in ctx.layer.parameters()))


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def conv2d(
    x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0
) -> Tensor:
    """2-d convolution (cross-correlation) as ``torch.nn.functional.conv2d``: x (N, C, H, W), weight
    (O, C, kh, kw), bias (O,) -> (N, O, Ho, Wo)."""
    x, weight = _tensor(x), _tensor(weight)
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (out, in, kh, kw), got {weight.shape}")
    out_c, in_c, kh, kw = weight.shape
    layer = Conv2d(in_c, out_c, (kh, kw), stride, padding, bias=bias is not None, dtype=weight.dtype)
    layer.weight = Parameter(weight.data)
    if bias is not None:
        bias = _tensor(bias)
        layer.bias = Parameter(bias.data)
        return _LayerOp.apply(x, weight, bias, layer=layer)
    return _LayerOp.apply(x, weight, layer=layer)


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None) -> Tensor:
    """Max over windows, as ``torch.nn.functional.max_pool2d`` (stride defaults to kernel_size)."""
    return _LayerOp.apply(_tensor(x), layer=MaxPool2d(kernel_size, stride))


def avg_pool2d(x: Tensor, kernel_size: Any, stride: Any = None) -> Tensor:
    """Mean over windows, as ``torch.nn.functional.avg_pool2d`` (stride defaults to kernel_size)."""
    return _LayerOp.apply(_tensor(x), layer=AvgPool2d(kernel_size, stride))
