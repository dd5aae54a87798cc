"""Flatten: merge dimensions start_dim..end_dim into one, e.g. (N, C, H, W) -> (N, C*H*W)."""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..validation import fail
from .module import Layer

__all__ = ["Flatten"]


class Flatten(Layer):
    """x: (N, d1, ..., dk) -> (N, d1 * ... * dk) with the defaults start_dim=1, end_dim=-1, as
    ``torch.nn.Flatten``. Backward reshapes the gradient back to the input's shape."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for what, v in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise fail("Flatten", what, "be an integer", v, error=TypeError)
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def _span(self, ndim: int) -> tuple[int, int]:
        s = self.start_dim + ndim if self.start_dim < 0 else self.start_dim
        e = self.end_dim + ndim if self.end_dim < 0 else self.end_dim
        if not (0 <= s < max(ndim, 1) and 0 <= e < max(ndim, 1) and s <= e):
            raise fail(
                repr(self),
                "start_dim and end_dim",
                f"name dimensions start <= end of a {ndim}-D input",
                (self.start_dim, self.end_dim),
            )
        return s, e

    def _flat_shape(self, shape: tuple) -> tuple:
        s, e = self._span(len(shape))
        mid = shape[s : e + 1]
        n = None if any(d is None for d in mid) else math.prod(mid)
        return (*shape[:s], n, *shape[e + 1 :])

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        y = x.reshape(1) if x.ndim == 0 else x.reshape(self._flat_shape(x.shape))
        self._cache = (x.shape, y.shape)
        return y

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        in_shape, out_shape = self._cached()
        g = self._check_grad(grad_out, out_shape)
        return g.reshape(in_shape) if input_grad else None

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return self._flat_shape(input_shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
