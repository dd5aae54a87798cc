"""2-D convolution (cross-correlation, as in PyTorch) by im2col and matrix products, and the window
helpers the pools share.

Layout. The input x (N, C, H, W) is read channels-major, as xt (C, N, H, W), zero-padded once. A block
of images is unrolled into a matrix ``cols`` (C*kh*kw, b*Ho*Wo): row (c, i, j) holds
xt[c, n, i + s*oh, j + s*ow] for every output pixel (n, oh, ow) of the block. Then, block by block,

    forward         y   = W2 @ cols             (O, C*kh*kw) @ (C*kh*kw, b*Ho*Wo)
    weight grad     dW2 += g2 @ cols.T          (O, b*Ho*Wo) @ (b*Ho*Wo, C*kh*kw)
    bias grad       db  = g2 summed over its columns
    input grad      dcols = W2.T @ g2, then col2im: dcols added back onto the (padded) input

with W2 = weight.reshape(O, C*kh*kw) and g2 the output gradient as (O, N*Ho*Wo). Building ``cols``
(one copy of a strided window view) and col2im (kh*kw vectorised adds) move a whole block at once.

Speed (measured against PyTorch on the benchmarks' layers, ``benchmarks/conv.py``):
- Blocks of images, not the whole batch: ``cols`` is kh*kw times the input, 151 MB for a 64 -> 64
  3x3 layer on a (64, 64, 32, 32) batch. Built and multiplied whole, it streams through memory four
  times (im2col, the forward product, again for dW, dcols and col2im) and OpenBLAS packs it from RAM;
  in blocks of about ``BLOCK_BYTES`` it stays in cache, which made that layer's forward + backward
  1.5-2x faster. The block size was measured on a quiet 2-core machine, 2 BLAS threads, forward +
  backward in ms for blocks of 1 / 4 / 16 / 64 MiB / whole batch: 64 -> 64 3x3 (with dx) 154 / 155 /
  153 / 195 / 198; 3 -> 32 5x5 at 64x64 19.8 / 20.3 / 27.5 / 30.1 / 30.0; the Fashion CNN's first
  layer 2.0 / 1.7 / 1.9 / 1.8 / 1.8: 4 MiB. Backward builds each block's ``cols`` again from x (cheap
  in cache) instead of keeping them all from forward: the saved tensor is x, not a kh*kw times larger
  copy.
- The input gradient of a stride-1 layer with no more output than input channels (O <= C) is itself
  a convolution: g, zero-padded by (kh - 1 - ph, kw - 1 - pw), correlated with the kernels flipped in
  both spatial axes and with in and out channels swapped (W[:, :, ::-1, ::-1] as (C, O, kh, kw)). One
  im2col of g and a product of inner dimension O*kh*kw replace the product of inner dimension O and
  the kh*kw adds of col2im: 1.4-1.5x faster for the 32 -> 32 (28 x 28) and
  64 -> 64 (14 x 14) layers of a VGG-style Fashion CNN at batch 128, slower for 32 -> 64 (im2col of
  twice as many channels), which keeps col2im.
- The output is returned as a transposed view of y, channels-major in memory. Elementwise layers keep
  that layout, so the next Conv2d's im2col and this formula's backward read it as (C, N, H, W) without
  a copy. dW is accumulated as cols @ g2.T (the transpose of dW2): the same numbers, and OpenBLAS is
  several times faster with the long b*Ho*Wo dimension laid out this way.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd.function import Function
from ..numerics import block_slices

Array = np.ndarray
Pair = tuple[int, int]

BLOCK_BYTES = 4 << 20  # the size of one block's ``cols`` (about; at least one image per block)


def out_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """floor((size + 2 padding - kernel) / stride) + 1, PyTorch's output size (0 or less: too small)."""
    return (size + 2 * padding - kernel) // stride + 1


def window(x: Array, i: int, j: int, out_hw: Pair, stride: Pair) -> Array:
    """The view of ``x`` (..., H, W) seen by kernel position (i, j) at every output pixel:
    x[..., i + stride_h * oh, j + stride_w * ow] for oh < out_h, ow < out_w (no copy)."""
    (oh, ow), (sh, sw) = out_hw, stride
    return x[..., i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw]


def pad_channels_major(x: Array, padding: Pair) -> Array:
    """x (N, C, H, W) as a C-contiguous (C, N, H + 2 ph, W + 2 pw) array, zeros around (one copy;
    none when x is channels-major in memory and there is no padding)."""
    ph, pw = padding
    xt = x.transpose(1, 0, 2, 3)
    if not (ph or pw):
        return np.ascontiguousarray(xt)
    c, n, h, w = xt.shape
    xp = np.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = xt
    return xp


def im2col(xp: Array, kernel: Pair, stride: Pair, out_hw: Pair) -> Array:
    """``xp`` (C, b, Hp, Wp), channels first and already padded, unrolled into ``cols``
    (C*kh*kw, b*Ho*Wo): row (c, i, j) holds xp[c, n, i + sh*oh, j + sw*ow]. One copy of the
    (C, b, Ho, Wo, kh, kw) window view, reordered."""
    (oh, ow), (sh, sw) = out_hw, stride
    c, b = xp.shape[:2]
    every = sliding_window_view(xp, kernel, axis=(2, 3))  # (C, b, Hp - kh + 1, Wp - kw + 1, kh, kw)
    windows = every[:, :, : sh * (oh - 1) + 1 : sh, : sw * (ow - 1) + 1 : sw]
    cols = np.empty((c, *kernel, b, oh, ow), dtype=xp.dtype)
    np.copyto(cols, windows.transpose(0, 4, 5, 1, 2, 3))
    return cols.reshape(c * kernel[0] * kernel[1], b * oh * ow)


def col2im(dcols: Array, dxp: Array, stride: Pair) -> None:
    """im2col's adjoint: ``dcols`` (C, kh, kw, b, Ho, Wo) added onto ``dxp`` (C, b, Hp, Wp), the
    padded input gradient of the block, where each kernel position read from."""
    _, kh, kw, _, oh, ow = dcols.shape
    for i in range(kh):
        for j in range(kw):
            window(dxp, i, j, (oh, ow), stride)[...] += dcols[:, i, j]


def blocks(n: int, rows: int, pixels: int, itemsize: int) -> list[slice]:
    """The batch 0..n cut into blocks of images whose ``cols`` (rows x b*pixels) are about BLOCK_BYTES."""
    return block_slices(n, rows * pixels * itemsize, BLOCK_BYTES)


def correlate(xp: Array, w2: Array, kernel: Pair, stride: Pair, out_hw: Pair) -> Array:
    """y (O, N*Ho*Wo) = w2 (O, C*kh*kw) @ im2col(xp): the padded input ``xp`` (C, N, Hp, Wp)
    correlated with the kernels, a block of images at a time."""
    (oh, ow), n = out_hw, xp.shape[1]
    y = np.empty((w2.shape[0], n * oh * ow), dtype=np.result_type(xp, w2))
    for s in blocks(n, w2.shape[1], oh * ow, xp.itemsize):
        cols = im2col(xp[:, s], kernel, stride, out_hw)
        np.matmul(w2, cols, out=y[:, s.start * oh * ow : s.stop * oh * ow])  # (O, b*Ho*Wo) of y
    return y


class Conv2dFunction(Function):
    """y[n, o] = Σ_c x[n, c] ⋆ w[o, c] + b[o]. x: (N, C, H, W), w: (O, C, kh, kw), b: (O,) or None
    -> y: (N, O, Ho, Wo), Ho = floor((H + 2 ph - kh) / sh) + 1 (likewise Wo); zero padding.

    dL/dW = g2 colsᵀ,   dL/db = Σ g,   dL/dx = col2im(W2ᵀ g2)   (see the module docstring: the batch
    is processed in blocks of images, each block's ``cols`` built from the padded input)."""

    shape_rule = ""  # the layer and F.conv2d check the shapes first

    @staticmethod
    def forward(
        ctx: Any, x: Array, w: Array, b: Array | None = None, *, stride: Pair = (1, 1), padding: Pair = (0, 0)
    ) -> Array:
        (o, _, kh, kw), n = w.shape, x.shape[0]
        xp = pad_channels_major(x, padding)  # (C, N, Hp, Wp)
        oh, ow = out_size(xp.shape[2], kh, stride[0]), out_size(xp.shape[3], kw, stride[1])
        y = correlate(xp, w.reshape(o, -1), (kh, kw), stride, (oh, ow))
        if b is not None:
            y += b[:, None]
        ctx.save_for_backward(xp, w, x.shape, b is not None, stride, padding)
        return y.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)  # (N, O, Ho, Wo) view, channels-major

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
        xp, w, (n, c, h, wd), has_bias, stride, (ph, pw) = ctx.saved_tensors
        need_x, need_w, *need_b = ctx.needs_input_grad
        (o, _, kh, kw), (oh, ow) = w.shape, g.shape[2:]
        g2 = g.transpose(1, 0, 2, 3).reshape(o, n * oh * ow)  # free when g is channels-major
        w2 = w.reshape(o, -1)
        # dx as a convolution of g (see the module docstring) where that is faster: stride 1, O <= C
        as_conv = need_x and stride == (1, 1) and o <= c and ph < kh and pw < kw
        dw_t = np.zeros(w2.shape[::-1], dtype=g.dtype) if need_w else None  # (C*kh*kw, O)
        dxp = np.zeros_like(xp) if need_x and not as_conv else None  # a first layer skips dx
        for s in blocks(n, w2.shape[1], oh * ow, xp.itemsize):
            g_block = g2[:, s.start * oh * ow : s.stop * oh * ow]  # (O, b*Ho*Wo)
            if dw_t is not None:
                dw_t += im2col(xp[:, s], (kh, kw), stride, (oh, ow)) @ g_block.T
            if dxp is not None:
                dcols = (w2.T @ g_block).reshape(c, kh, kw, -1, oh, ow)
                col2im(dcols, dxp[:, s], stride)
        dw = None if dw_t is None else dw_t.T.reshape(w.shape)
        db = g2.sum(axis=1) if has_bias and need_b[0] else None
        if as_conv:  # g (padded kh-1-ph, kw-1-pw) correlated with w flipped, in and out channels swapped
            flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3).reshape(c, -1)
            gp = pad_channels_major(g, (kh - 1 - ph, kw - 1 - pw))
            dx = correlate(gp, flipped, (kh, kw), (1, 1), (h, wd)).reshape(c, n, h, wd).transpose(1, 0, 2, 3)
        else:
            dx = None if dxp is None else dxp[:, :, ph : ph + h, pw : pw + wd].transpose(1, 0, 2, 3)
        return (dx, dw, db)[: len(ctx.inputs)]
