"""Layer normalisation over the last dimensions (``normalized_shape``), as PyTorch's layer_norm.

Per row (the trailing dimensions flattened, n values), mean and biased variance of that row:

    xhat = (x - mean) / sqrt(var + eps),   y = w xhat + b            (w, b: normalized_shape, or None)
    dL/dw = Σ_rows g xhat,   dL/db = Σ_rows g
    dL/dx = invstd (ĝ - mean(ĝ) - xhat mean(ĝ xhat)),   ĝ = g w

A constant row has x - mean ~ 0 and var ~ 0, so xhat ~ 0 and invstd = 1/sqrt(eps): finite (eps > 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function

Array = np.ndarray


class LayerNormFunction(Function):
    """x (*, *normalized_shape) -> y, the same shape; weight, bias: normalized_shape or None."""

    shape_rule = ""  # the layer and F.layer_norm check the shapes first

    @staticmethod
    def forward(
        ctx: Any,
        x: Array,
        weight: Array | None,
        bias: Array | None,
        *,
        normalized_shape: tuple[int, ...],
        eps: float,
    ) -> Array:
        axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
        xc = x - x.mean(axis=axes, keepdims=True)
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        var += x.dtype.type(eps)
        invstd = np.sqrt(var, out=var)
        np.divide(1, invstd, out=invstd)
        xhat = xc
        xhat *= invstd  # in place: xc is our own array
        y = xhat * weight if weight is not None else xhat.copy()
        if bias is not None:
            y += bias
        ctx.save_for_backward(xhat, invstd, weight, bias is not None, axes)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
        xhat, invstd, w, has_bias, axes = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        lead = tuple(range(g.ndim - len(axes)))  # the rows' dimensions, summed for w and b
        dw = np.sum(g * xhat, axis=lead) if w is not None and need_w else None
        db = np.sum(g, axis=lead) if has_bias and need_b else None
        dx = None
        if need_x:
            gh = g * w if w is not None else g.copy()
            dx = xhat * np.mean(gh * xhat, axis=axes, keepdims=True)
            np.subtract(gh, dx, out=dx)
            dx -= np.mean(gh, axis=axes, keepdims=True)
            dx *= invstd
        return dx, dw, db
