"""Argument helpers shared by the 2-D layers (Conv2d, MaxPool2d, AvgPool2d) and ``F.conv2d`` and the
pools: pair arguments, the NCHW input check, output shapes. The array helpers (output size, the
strided view of one kernel position, im2col) are in ``ops.conv``."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..ops.conv import Pair, out_size
from ..validation import check_int, fail

__all__ = ["Pair", "check_nchw", "pair", "spatial_output_shape"]


def pair(who: str, what: str, value: Any, minimum: int = 1) -> Pair:
    """An int or a pair of ints (each >= ``minimum``) as a pair: 3 -> (3, 3), (3, 5) -> (3, 5)."""
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise fail(who, what, "be an int or a pair of ints", value, error=TypeError)
        return (
            check_int(who, what, value[0], minimum=minimum),
            check_int(who, what, value[1], minimum=minimum),
        )
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(who, what, "be an int or a pair of ints", value, error=TypeError)
    v = check_int(who, what, value, minimum=minimum)
    return (v, v)


def check_nchw(who: Any, x: np.ndarray, kernel: Pair, padding: Pair = (0, 0)) -> None:
    """A 4-D input (N, C, H, W) at least as large as the kernel (after padding), or a ValueError naming
    ``who`` (a layer, or a function's name)."""
    name = who if isinstance(who, str) else repr(who)
    if x.ndim != 4:
        raise fail(name, "input", "have shape (batch, channels, height, width)", f"shape {x.shape}")
    h, w = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    if h < kernel[0] or w < kernel[1]:
        raise fail(
            name,
            "input",
            f"be at least as large as the kernel {kernel} (padded size {(h, w)})",
            f"shape {x.shape}",
        )


def spatial_output_shape(
    layer: Any,
    input_shape: tuple[int | None, ...],
    channels: int | None,
    kernel: Pair,
    stride: Pair,
    padding: Pair = (0, 0),
) -> tuple[int | None, ...]:
    """(N, C_out, H_out, W_out) for ``input_shape`` (N, C, H, W); ``channels`` None keeps C."""
    if len(input_shape) != 4:
        raise fail(repr(layer), "input shape", "be (batch, channels, height, width)", input_shape)
    n, c, h, w = input_shape
    hw = [
        None if s is None else out_size(s, k, st, p)
        for s, k, st, p in zip((h, w), kernel, stride, padding, strict=True)
    ]
    return (n, c if channels is None else channels, hw[0], hw[1])
