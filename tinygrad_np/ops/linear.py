"""Matrix products: ``MatMul`` (a @ b with NumPy's rules) and ``Linear`` (x @ W.T + b, the layer's
formula)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function

Array = np.ndarray


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
        if db and b.ndim == 2 and a2.ndim > 2:  # one matrix b shared by a batch: one product, no batch to sum
            gb = a2.reshape(-1, a2.shape[-1]).T @ g2.reshape(-1, g2.shape[-1])
        else:
            gb = np.swapaxes(a2, -1, -2) @ g2 if db else None  # dL/db = a^T g
        if ga is not None and a.ndim == 1:
            ga = ga[..., 0, :]
        if gb is not None and b.ndim == 1:
            gb = gb[..., 0]
        return ga, gb


class LinearFunction(Function):
    """y = x @ W.T + b. x: (*, in), W: (out, in) as PyTorch stores it, b: (out,) or None -> (*, out).

    dL/dx = g @ W,   dL/dW = gᵀ x,   dL/db = Σ g   (sums over every leading dimension of x)."""

    shape_rule = ""  # the Linear layer checks its input first

    @staticmethod
    def forward(ctx: Any, x: Array, w: Array, b: Array | None = None) -> Array:
        y = x @ w.T  # W.T is a view: BLAS reads W transposed in place
        if b is not None:
            y += b
        ctx.save_for_backward(x, w, b is not None)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, Array | None, Array | None]:
        x, w, has_bias = ctx.saved_tensors
        dx, dw = ctx.needs_input_grad[:2]
        g2 = g.reshape(-1, w.shape[0])  # leading dimensions flattened: (rows, out)
        gx = g @ w if dx else None  # a first layer's dL/dx, the costliest product, is skipped when not needed
        gw = np.matmul(g2.T, x.reshape(-1, w.shape[1]), out=ctx.grad_buffer(1)) if dw else None
        gb = g2.sum(axis=0, out=ctx.grad_buffer(2)) if has_bias and ctx.needs_input_grad[2] else None
        return gx, gw, gb
