"""2-D convolution (cross-correlation, as in PyTorch) by im2col and one matrix product, and the
window helpers the pools share.

Layout. The input x (N, C, H, W) is unrolled into a matrix ``cols`` (C*kh*kw, N*Ho*Wo): row
(c, i, j) holds x[n, c, i + s*oh, j + s*ow] for every output pixel (n, oh, ow). Then

    forward         y   = W2 @ cols             (O, C*kh*kw) @ (C*kh*kw, N*Ho*Wo)
    weight grad     dW2 = g2 @ cols.T           (O, N*Ho*Wo) @ (N*Ho*Wo, C*kh*kw)
    bias grad       db  = g2 summed over its columns
    input grad      dcols = W2.T @ g2, then col2im: dcols added back onto the (padded) input

with W2 = weight.reshape(O, C*kh*kw) and g2 the output gradient as (O, N*Ho*Wo). Building ``cols``
and col2im loop over the kh*kw kernel positions only, each step moving a whole (C, N, Ho, Wo) slab.

Speed (measured on the Fashion-MNIST CNN): the output is returned as a transposed view of y,
channels-major in memory. Elementwise layers keep that layout, so the next Conv2d's im2col and this
formula's backward read it as (C, N, H, W) without a copy. dW is computed as (cols @ g2.T).T: the same
numbers, and OpenBLAS is several times faster with the long N*Ho*Wo dimension laid out this way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function

Array = np.ndarray
Pair = tuple[int, int]


def out_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """floor((size + 2 padding - kernel) / stride) + 1, PyTorch's output size (0 or less: too small)."""
    return (size + 2 * padding - kernel) // stride + 1


def window(x: Array, i: int, j: int, out_hw: Pair, stride: Pair) -> Array:
    """The view of ``x`` (..., H, W) seen by kernel position (i, j) at every output pixel:
    x[..., i + stride_h * oh, j + stride_w * ow] for oh < out_h, ow < out_w (no copy)."""
    (oh, ow), (sh, sw) = out_hw, stride
    return x[..., i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]


def im2col(xt: Array, kernel: Pair, stride: Pair, padding: Pair) -> tuple[Array, Pair]:
    """``xt`` (C, N, H, W), channels first, unrolled into ``cols`` (C*kh*kw, N*Ho*Wo): row (c, i, j)
    holds xt[c, n, i + sh*oh - ph, j + sw*ow - pw] (zero outside). One strided slab copy per kernel
    position. Returns (cols, (Ho, Wo))."""
    c, n, h, w = xt.shape
    (kh, kw), (ph, pw) = kernel, padding
    oh, ow = out_size(h, kh, stride[0], ph), out_size(w, kw, stride[1], pw)
    if ph or pw:
        padded = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=xt.dtype)
        padded[:, :, ph : ph + h, pw : pw + w] = xt
        xt = padded
    cols = np.empty((c, kh, kw, n, oh, ow), dtype=xt.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, i, j] = window(xt, i, j, (oh, ow), stride)
    return cols.reshape(c * kh * kw, n * oh * ow), (oh, ow)


def col2im(dcols: Array, x_shape: tuple[int, ...], stride: Pair, padding: Pair) -> Array:
    """im2col's adjoint: ``dcols`` (C, kh, kw, N, Ho, Wo) added back where each slab was read from,
    giving dL/dx (N, C, H, W) as a view of a channels-major array."""
    n, c, h, w = x_shape
    _, kh, kw, _, oh, ow = dcols.shape
    ph, pw = padding
    dxt = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            window(dxt, i, j, (oh, ow), stride)[...] += dcols[:, i, j]
    return dxt[:, :, ph : ph + h, pw : pw + w].transpose(1, 0, 2, 3)


class Conv2dFunction(Function):
    """y[n, o] = Σ_c x[n, c] ⋆ w[o, c] + b[o]. x: (N, C, H, W), w: (O, C, kh, kw), b: (O,) or None
    -> y: (N, O, Ho, Wo), Ho = floor((H + 2 ph - kh) / sh) + 1 (likewise Wo); zero padding.

    dL/dW = g2 colsᵀ,   dL/db = Σ g,   dL/dx = col2im(W2ᵀ g2)   (see the module docstring)."""

    shape_rule = ""  # the layer and F.conv2d check the shapes first

    @staticmethod
    def forward(
        ctx: Any, x: Array, w: Array, b: Array | None = None, *, stride: Pair = (1, 1), padding: Pair = (0, 0)
    ) -> Array:
        (o, _, kh, kw), n = w.shape, x.shape[0]
        # (C, N, H, W) is a view; contiguous when x is channels-major in memory (as this formula's output is)
        cols, (oh, ow) = im2col(x.transpose(1, 0, 2, 3), (kh, kw), stride, padding)
        y = w.reshape(o, -1) @ cols  # (O, N*Ho*Wo): the one big product
        if b is not None:
            y += b[:, None]
        ctx.save_for_backward(cols, w, x.shape, b is not None, stride, padding)
        return y.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)  # (N, O, Ho, Wo) view, channels-major

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
        cols, w, x_shape, has_bias, stride, padding = ctx.saved_tensors
        need_x, need_w, *need_b = ctx.needs_input_grad
        o, (n, _, oh, ow) = w.shape[0], g.shape
        g2 = g.transpose(1, 0, 2, 3).reshape(o, n * oh * ow)  # free when g is channels-major
        dw = (cols @ g2.T).T.reshape(w.shape) if need_w else None
        db = g2.sum(axis=1) if has_bias and need_b[0] else None
        dx = None
        if need_x:  # a first layer skips it, the costliest part
            dcols = (w.reshape(o, -1).T @ g2).reshape(w.shape[1], *w.shape[2:], n, oh, ow)
            dx = col2im(dcols, x_shape, stride, padding)
        return (dx, dw, db)[: len(ctx.inputs)]
