"""Conv2d: 2-D convolution (cross-correlation, as in PyTorch) by im2col and one matrix product.

Layout. The input x (N, C, H, W) is unrolled into a matrix ``cols`` (C*kh*kw, N*Ho*Wo): row
(c, i, j) holds x[n, c, i + s*oh, j + s*ow] for every output pixel (n, oh, ow). Then

    forward         y   = W2 @ cols             (O, C*kh*kw) @ (C*kh*kw, N*Ho*Wo)
    weight grad     dW2 = g2 @ cols.T           (O, N*Ho*Wo) @ (N*Ho*Wo, C*kh*kw)
    input grad      dcols = W2.T @ g2, then col2im: dcols added back onto the (padded) input

with W2 = weight.reshape(O, C*kh*kw) and g2 the output gradient as (O, N*Ho*Wo). Building ``cols``
and col2im loop over the kh*kw kernel positions only, each step moving a whole (C, N, Ho, Wo) slab.
The output is returned as a transposed view of y, channels-major in memory: elementwise layers keep
that layout, so the next Conv2d's im2col and this layer's backward read it without a transpose.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import init as _init
from .module import Layer
from .parameter import Parameter
from .spatial import Pair, check_nchw, out_size, pair, spatial_output_shape, window

__all__ = ["Conv2d"]


def im2col(xt: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> tuple[np.ndarray, Pair]:
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


def _pytorch_uniform(shape: tuple[int, ...], fan_in: int, rng: Any, dtype: np.dtype) -> np.ndarray:
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype, copy=False)


class Conv2d(Layer):
    """2-D convolution. x: (N, in_channels, H, W) -> y: (N, out_channels, H_out, W_out), with
    H_out = floor((H + 2 padding - kh) / stride) + 1 (likewise W_out).

    ``weight``: (out_channels, in_channels, kh, kw), ``bias``: (out_channels,). ``kernel_size``,
    ``stride`` and ``padding`` (zeros) are an int or a pair (height, width).

    ``init="pytorch"`` (the default) draws weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = in_channels * kh * kw, as PyTorch's default (kaiming_uniform with a = sqrt(5)). Any name
    of ``tinygrad_np.init`` ("he", "xavier", ...) or a callable ``(shape, rng, dtype)`` draws the
    weight as a matrix (out_channels, fan_in) instead, with zero biases.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | Pair,
        stride: int | Pair = 1,
        padding: int | Pair = 0,
        bias: bool = True,
        *,
        init: str | _init.Initializer = "pytorch",
        rng: np.random.Generator | np.random.RandomState | None = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        from ..validation import check_int

        self.in_channels = check_int("Conv2d", "in_channels", in_channels)
        self.out_channels = check_int("Conv2d", "out_channels", out_channels)
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size)
        self.stride = pair("Conv2d", "stride", stride)
        self.padding = pair("Conv2d", "padding", padding, minimum=0)
        rng = np.random.default_rng() if rng is None else rng
        dtype = np.dtype(dtype)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        if init == "pytorch":
            self.weight = Parameter(_pytorch_uniform(shape, fan_in, rng, dtype))
            b = _pytorch_uniform((self.out_channels,), fan_in, rng, dtype)
        else:
            w = _init.get(init)((self.out_channels, fan_in), rng, dtype)
            self.weight = Parameter(np.asarray(w, dtype=dtype).reshape(shape))
            b = np.zeros(self.out_channels, dtype=dtype)
        self.bias = Parameter(b) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        check_nchw(self, x, self.kernel_size, self.padding)
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"{self!r}: input must have {self.in_channels} channels (shape (batch, {self.in_channels}, "
                f"height, width)), got shape {x.shape}"
            )
        w = self.weight.data
        if x.dtype != w.dtype:
            raise TypeError(
                f"{self!r}: input must have the weights' dtype {w.dtype}, got {x.dtype}; "
                f"convert with x.astype(np.{w.dtype}) or model.to(np.{x.dtype})"
            )
        n = x.shape[0]
        # (C, N, H, W) is a view; it is contiguous when x is channels-major in memory (as Conv2d's
        # own output and the elementwise layers after it are).
        cols2, (oh, ow) = im2col(x.transpose(1, 0, 2, 3), self.kernel_size, self.stride, self.padding)
        y = w.reshape(self.out_channels, -1) @ cols2  # (O, N*Ho*Wo): the one big product
        if self.bias is not None:
            y += self.bias.data[:, None]
        self._cache = (cols2, x.shape)
        return y.reshape(self.out_channels, n, oh, ow).transpose(1, 0, 2, 3)  # (N, O, Ho, Wo) view

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        cols2, x_shape = self._cached()
        n, c, h, wd = x_shape
        (kh, kw), (ph, pw), o = self.kernel_size, self.padding, self.out_channels
        oh, ow = out_size(h, kh, self.stride[0], ph), out_size(wd, kw, self.stride[1], pw)
        g = self._check_grad(grad_out, (n, o, oh, ow))
        # (O, N*Ho*Wo); free when g is channels-major in memory (as this layer's own output is)
        g2 = g.transpose(1, 0, 2, 3).reshape(o, n * oh * ow)
        # dW = g2 @ cols.T, computed as (cols @ g2.T).T: the same numbers, and OpenBLAS is several
        # times faster with the long N*Ho*Wo dimension laid out this way.
        self.weight.grad_buffer().reshape(o, -1)[...] = (cols2 @ g2.T).T
        if self.bias is not None:
            g2.sum(axis=1, out=self.bias.grad_buffer())
        if not input_grad:
            return None  # the first layer: skip the input gradient, the costliest part
        dcols = (self.weight.data.reshape(o, -1).T @ g2).reshape(c, kh, kw, n, oh, ow)
        # col2im: every kernel position adds its slab back where it was read from.
        dxt = np.zeros((c, n, h + 2 * ph, wd + 2 * pw), dtype=dcols.dtype)
        for i in range(kh):
            for j in range(kw):
                window(dxt, i, j, (oh, ow), self.stride)[...] += dcols[:, i, j]
        return dxt[:, :, ph : ph + h, pw : pw + wd].transpose(1, 0, 2, 3)  # (N, C, H, W) view

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return spatial_output_shape(
            self, input_shape, self.out_channels, self.kernel_size, self.stride, self.padding
        )

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        return s + ("" if self.bias is not None else ", bias=False")
