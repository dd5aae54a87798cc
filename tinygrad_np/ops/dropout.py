"""Dropout's formula: y = x · mask, dL/dx = g · mask. The mask (kept elements 1/(1-p), dropped 0) is an
input drawn by the caller (the Dropout layer, ``F.dropout``) from its own generator, so the formula
itself draws nothing."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function

Array = np.ndarray


def dropout_mask(
    shape: tuple[int, ...],
    p: float,
    rng: np.random.Generator | np.random.RandomState,
    dtype: Any,
    training: bool = True,
) -> Array | None:
    """Each element kept with probability 1 - p and scaled by 1/(1 - p); all zeros when p = 1. None (no
    mask: the identity, nothing drawn) in evaluation mode or when p = 0."""
    if not training or p == 0.0:
        return None
    dtype = np.dtype(dtype)
    if p >= 1.0:
        return np.zeros(shape, dtype=dtype)
    keep = rng.random(shape) >= p  # True with probability 1 - p
    return keep.astype(dtype) * dtype.type(1.0 / (1.0 - p))


class DropoutFunction(Function):
    shape_rule = ""

    @staticmethod
    def forward(ctx: Any, x: Array, mask: Array | None) -> Array:
        ctx.save_for_backward(mask)
        return x if mask is None else x * mask  # no mask: evaluation mode, the identity

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, None]:
        mask = ctx.saved_tensors[0]
        return (g if mask is None else g * mask), None
