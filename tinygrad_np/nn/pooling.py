"""MaxPool2d and AvgPool2d on NCHW inputs, without padding. Both loop over the kh*kw kernel
positions only: each step reads one strided view of the whole batch (``spatial.window``)."""

from __future__ import annotations

import numpy as np

from .module import Layer
from .spatial import Pair, check_nchw, out_size, pair, spatial_output_shape, window

__all__ = ["AvgPool2d", "MaxPool2d"]


class _Pool2d(Layer):
    def __init__(self, kernel_size: int | Pair, stride: int | Pair | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        self._kernel_arg, self._stride_arg = kernel_size, kernel_size if stride is None else stride
        self.kernel_size = pair(name, "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else pair(name, "stride", stride)

    def _setup(self, x: np.ndarray) -> tuple[np.ndarray, Pair, list[Pair]]:
        x = self._check_input(x)
        check_nchw(self, x, self.kernel_size)
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        out_hw = (out_size(x.shape[2], kh, sh), out_size(x.shape[3], kw, sw))
        return x, out_hw, [(i, j) for i in range(kh) for j in range(kw)]

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return spatial_output_shape(self, input_shape, None, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self._kernel_arg}, stride={self._stride_arg}"


class MaxPool2d(_Pool2d):
    """The maximum of each kh x kw window. x: (N, C, H, W) -> (N, C, H_out, W_out), with
    H_out = floor((H - kh) / stride) + 1; ``stride`` defaults to ``kernel_size`` (no overlap).

    Backward sends each output's gradient to the one input that was its maximum. Ties: the first
    maximum in the window in row-major order gets it all (as PyTorch's CPU kernel). NaN: the output
    is NaN (np.maximum propagates it) but the gradient goes to the largest non-NaN element before it
    (PyTorch sends it to the NaN).
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        x, out_hw, positions = self._setup(x)
        # Running maximum over the kernel positions, and which position holds it: a strictly larger
        # value replaces it, so the first maximum in row-major order wins ties. Positions only grow,
        # so "where = p if larger" is where = max(where, larger * p). Only ufuncs, which keep the
        # input's memory layout (order "K"): no masked copies, no transposes (each costs several times more).
        best = window(x, 0, 0, out_hw, self.stride).copy(order="K")
        where = np.zeros_like(best, dtype=np.uint8 if len(positions) < 256 else np.int32)
        for p, (i, j) in enumerate(positions[1:], start=1):
            v = window(x, i, j, out_hw, self.stride)
            larger = np.greater(v, best)
            np.maximum(best, v, out=best)
            np.maximum(where, np.multiply(larger, p, dtype=where.dtype), out=where)
        self._cache = (x, where, out_hw, positions)
        return best

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        x, where, out_hw, positions = self._cached()
        g = self._check_grad(grad_out, where.shape)
        if not input_grad:
            return None
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        overlap = sh < kh or sw < kw
        covered = not overlap and x.shape[2] == out_hw[0] * kh and x.shape[3] == out_hw[1] * kw
        # dx in x's memory layout (zeros_like keeps it); every element is written when the windows
        # tile the input exactly, so then it needs no zeroing.
        dx = np.empty_like(x, dtype=g.dtype) if covered else np.zeros_like(x, dtype=g.dtype)
        for p, (i, j) in enumerate(positions):
            view = window(dx, i, j, out_hw, self.stride)
            if overlap:
                view += g * (where == p)
            else:  # no overlap: every input is in one window at most, so write instead of add
                np.multiply(g, where == p, out=view)
        return dx


class AvgPool2d(_Pool2d):
    """The mean of each kh x kw window. x: (N, C, H, W) -> (N, C, H_out, W_out); ``stride``
    defaults to ``kernel_size``. Backward spreads each output's gradient evenly, g / (kh kw), over
    its window."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x, out_hw, positions = self._setup(x)
        total = window(x, 0, 0, out_hw, self.stride).copy(order="K")  # keeps x's memory layout
        for i, j in positions[1:]:
            total += window(x, i, j, out_hw, self.stride)
        total *= x.dtype.type(1.0 / len(positions))
        self._cache = (x.shape, out_hw, positions)
        return total

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        x_shape, out_hw, positions = self._cached()
        g = self._check_grad(grad_out, (*x_shape[:2], *out_hw))
        if not input_grad:
            return None
        share = g * g.dtype.type(1.0 / len(positions))
        dx = np.zeros(x_shape, dtype=g.dtype)
        for i, j in positions:
            window(dx, i, j, out_hw, self.stride)[...] += share
        return dx
