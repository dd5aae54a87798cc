"""Max and average pooling over kh x kw windows of NCHW inputs, without padding:
y: (N, C, Ho, Wo), Ho = floor((H - kh) / sh) + 1 (likewise Wo).

Both loop over the kh*kw kernel positions only: each step reads one strided view (``conv.window``);
MaxPool2d does so for a block of planes at a time (``numerics.leading_blocks``, in the order they lie
in memory). Only ufuncs and views, which keep the input's memory layout (channels-major after a
Conv2d): no masked copies, no transposes (each costs several times more, measured on the Fashion CNN).
MaxPool2d keeps the argmax positions and x's shape and layout, not x itself: dx is allocated in that
layout, and the activation before the pool can be freed (about 2% of a Fashion CNN step).

Tried and slower on the Fashion CNN's pools ((64, 32, 28, 28) and (64, 64, 14, 14), 2x2, float32,
CPU time): no index array, with the first-maximum mask rebuilt in backward from x == y (3.4-4x the
forward + backward of this code), ``x.reshape(..., 2, Wo, 2).max(axis=(1, 3))`` (10x its forward),
``np.copyto(where, p, where=larger)`` for the index (2.9x its forward). The short strided inner rows
(Wo elements, stride 2) cost more per NumPy call than the index array does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..numerics import leading_blocks
from .conv import Pair, out_size, window

Array = np.ndarray


def _positions(kernel: Pair) -> list[Pair]:
    """The kernel positions (i, j) in row-major order."""
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


def _out_hw(x: Array, kernel: Pair, stride: Pair) -> Pair:
    return out_size(x.shape[2], kernel[0], stride[0]), out_size(x.shape[3], kernel[1], stride[1])


BLOCK_BYTES = 1 << 20  # the input planes one block of passes works on (about; at least one plane)


def _planes(x: Array) -> tuple[Array, bool]:
    """x (N, C, H, W) with its outer memory axis first: (xt (C, N, H, W), True) when x is channels-major
    in memory (a Conv2d's output), else (x, False). Either is cut into blocks along its axis 0."""
    xt = x.transpose(1, 0, 2, 3)
    return (xt, True) if xt.flags.c_contiguous else (x, False)


def _unplanes(a: Array, channels_major: bool) -> Array:
    """``_planes``'s inverse: (C, N, h, w) back to an (N, C, h, w) view when channels_major."""
    return a.transpose(1, 0, 2, 3) if channels_major else a


class MaxPool2dFunction(Function):
    """y = the maximum of each window; dL/dx sends each output's gradient to the one input that was its
    maximum. Ties: the first maximum in the window in row-major order gets it all (as PyTorch's CPU
    kernel). NaN: the output is NaN (np.maximum propagates it) but the gradient goes to the largest
    non-NaN element before it (PyTorch sends it to the NaN).

    Both directions run a block of planes at a time (about ``BLOCK_BYTES`` of input), so that the
    kh*kw passes over one block find it in the CPU's cache: forward + backward 1.3x faster than
    whole-array passes on the Fashion CNN's first pool at batch 128 (7.5 -> 5.7 ms of CPU time), 1.1x
    on its second (3.9 -> 3.5 ms)."""

    shape_rule = ""

    @staticmethod
    def forward(ctx: Any, x: Array, *, kernel_size: Pair, stride: Pair) -> Array:
        out_hw, positions = _out_hw(x, kernel_size, stride), _positions(kernel_size)
        planes, channels_major = _planes(x)
        best = np.empty((*planes.shape[:2], *out_hw), dtype=x.dtype)
        where = np.empty(best.shape, dtype=np.uint8 if len(positions) < 256 else np.int32)
        for s in leading_blocks(planes, BLOCK_BYTES):
            # Running maximum over the kernel positions, and which position holds it: a strictly larger
            # value replaces it, so the first maximum wins ties. Positions only grow, so
            # "where = p if larger" is where = max(where, larger * p).
            np.copyto(best[s], window(planes[s], 0, 0, out_hw, stride))
            where[s] = 0
            for p, (i, j) in enumerate(positions[1:], start=1):
                v = window(planes[s], i, j, out_hw, stride)
                larger = np.greater(v, best[s])
                np.maximum(best[s], v, out=best[s])
                np.maximum(where[s], np.multiply(larger, p, dtype=where.dtype), out=where[s])
        ctx.save_for_backward(planes.shape, channels_major, where, kernel_size, stride)  # not x: see above
        return _unplanes(best, channels_major)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None]:
        if not ctx.needs_input_grad[0]:
            return (None,)
        shape, channels_major, where, (kh, kw), stride = ctx.saved_tensors
        out_hw, g_planes = where.shape[2:], g.transpose(1, 0, 2, 3) if channels_major else g
        overlap = stride[0] < kh or stride[1] < kw
        covered = not overlap and shape[2] == out_hw[0] * kh and shape[3] == out_hw[1] * kw
        # every element of dx is written when the windows tile the input exactly: then no zeroing
        dx = (np.empty if covered else np.zeros)(shape, dtype=g.dtype)
        positions = _positions((kh, kw))
        for s in leading_blocks(dx, BLOCK_BYTES):
            for p, (i, j) in enumerate(positions):
                view = window(dx[s], i, j, out_hw, stride)
                if overlap:
                    view += g_planes[s] * (where[s] == p)
                else:  # every input is in one window at most: write instead of add
                    np.multiply(g_planes[s], where[s] == p, out=view)
        return (_unplanes(dx, channels_major),)


class AvgPool2dFunction(Function):
    """y = the mean of each window; dL/dx spreads each output's gradient evenly, g / (kh kw), over
    its window."""

    shape_rule = ""

    @staticmethod
    def forward(ctx: Any, x: Array, *, kernel_size: Pair, stride: Pair) -> Array:
        out_hw, positions = _out_hw(x, kernel_size, stride), _positions(kernel_size)
        total = window(x, 0, 0, out_hw, stride).copy(order="K")  # keeps x's memory layout
        for i, j in positions[1:]:
            total += window(x, i, j, out_hw, stride)
        total *= x.dtype.type(1.0 / len(positions))
        ctx.save_for_backward(x.shape, kernel_size, stride)
        return total

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None]:
        if not ctx.needs_input_grad[0]:
            return (None,)
        x_shape, kernel, stride = ctx.saved_tensors
        positions = _positions(kernel)
        share = g * g.dtype.type(1.0 / len(positions))
        dx = np.zeros(x_shape, dtype=g.dtype)
        for i, j in positions:
            window(dx, i, j, g.shape[2:], stride)[...] += share
        return (dx,)
