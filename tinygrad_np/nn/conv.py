"""Conv2d: 2-D convolution (cross-correlation, as in PyTorch). The formula (im2col and one matrix
product, forward and backward) is ``ops.conv.Conv2dFunction``; this layer holds the weights and checks
inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import conv as fn
from ..random import Seed, generator
from ..validation import check_int
from . import init as _init
from .module import Module
from .parameter import Parameter
from .spatial import Pair, check_nchw, pair, spatial_output_shape

__all__ = ["Conv2d"]


def _pytorch_uniform(shape: tuple[int, ...], fan_in: int, rng: Any, dtype: np.dtype) -> np.ndarray:
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype, copy=False)


class Conv2d(Module):
    """2-D convolution. x: (N, in_channels, H, W) -> y: (N, out_channels, H_out, W_out), with
    H_out = floor((H + 2 padding - kh) / stride) + 1 (likewise W_out).

    ``weight``: (out_channels, in_channels, kh, kw), ``bias``: (out_channels,). ``kernel_size``,
    ``stride`` and ``padding`` (zeros) are an int or a pair (height, width).

    ``init="pytorch"`` (the default) draws weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    fan_in = in_channels * kh * kw, as PyTorch's default (kaiming_uniform with a = sqrt(5)). Any name
    of ``tinygrad_np.init`` ("he", "xavier", ...) or a callable ``(shape, rng, dtype)`` draws the
    weight as a matrix (out_channels, fan_in) instead, with zero biases. ``rng``: a Generator,
    RandomState or int seed; None draws from ``tnp.manual_seed``'s generator.

    The output is channels-major in memory (a transposed view): see ``ops.conv`` for why.
    """

    _array_forward = True

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
        rng: Seed = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.in_channels = check_int("Conv2d", "in_channels", in_channels)
        self.out_channels = check_int("Conv2d", "out_channels", out_channels)
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size)
        self.stride = pair("Conv2d", "stride", stride)
        self.padding = pair("Conv2d", "padding", padding, minimum=0)
        gen = generator("Conv2d", rng)
        dtype = np.dtype(dtype)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        if init == "pytorch":
            self.weight = Parameter(_pytorch_uniform(shape, fan_in, gen, dtype))
            b = _pytorch_uniform((self.out_channels,), fan_in, gen, dtype)
        else:
            w = _init.get(init)((self.out_channels, fan_in), gen, dtype)
            self.weight = Parameter(np.asarray(w, dtype=dtype).reshape(shape))
            b = np.zeros(self.out_channels, dtype=dtype)
        self.bias = Parameter(b) if bias else None

    def forward(self, x: Any) -> Any:
        """x: (N, in_channels, H, W) ndarray or Tensor -> (N, out_channels, H_out, W_out)."""
        a = self._check_input(x)
        check_nchw(self, a, self.kernel_size, self.padding)
        if a.shape[1] != self.in_channels:
            raise ValueError(
                f"{self!r}: input must have {self.in_channels} channels (shape (batch, {self.in_channels}, "
                f"height, width)), got shape {a.shape}"
            )
        self._check_dtype(a, self.weight)
        return self._call_function(
            fn.Conv2dFunction, x, self.weight, self.bias, stride=self.stride, padding=self.padding
        )

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return spatial_output_shape(
            self, input_shape, self.out_channels, self.kernel_size, self.stride, self.padding
        )

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        return s + ("" if self.bias is not None else ", bias=False")
