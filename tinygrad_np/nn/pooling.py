"""MaxPool2d and AvgPool2d on NCHW inputs, without padding. The formulas are ``ops.pool``."""

from __future__ import annotations

from typing import Any

from ..ops import pool as fn
from .module import Module
from .spatial import Pair, check_nchw, pair, spatial_output_shape

__all__ = ["AvgPool2d", "MaxPool2d"]


class _Pool2d(Module):
    _array_forward = True
    _function: type[fn.MaxPool2dFunction] | type[fn.AvgPool2dFunction]

    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        self._kernel_arg, self._stride_arg = kernel_size, kernel_size if stride is None else stride
        self.kernel_size = pair(name, "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride)

    def forward(self, x: Any) -> Any:
        """x: (N, C, H, W) ndarray or Tensor -> (N, C, H_out, W_out)."""
        check_nchw(self, self._check_input(x), self.kernel_size)
        return self._call_function(self._function, x, kernel_size=self.kernel_size, stride=self.stride)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return spatial_output_shape(self, input_shape, None, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self._kernel_arg}, stride={self._stride_arg}"


class MaxPool2d(_Pool2d):
    """The maximum of each kh x kw window. x: (N, C, H, W) -> (N, C, H_out, W_out), with
    H_out = floor((H - kh) / stride) + 1; ``stride`` defaults to ``kernel_size`` (no overlap).

    Backward sends each output's gradient to the one input that was its maximum; ties go to the first
    maximum in row-major order, as PyTorch (NaN: see ``ops.pool.MaxPool2dFunction``).
    """

    _function = fn.MaxPool2dFunction


class AvgPool2d(_Pool2d):
    """The mean of each kh x kw window. x: (N, C, H, W) -> (N, C, H_out, W_out); ``stride``
    defaults to ``kernel_size``. Backward spreads each output's gradient evenly, g / (kh kw), over
    its window."""

    _function = fn.AvgPool2dFunction
