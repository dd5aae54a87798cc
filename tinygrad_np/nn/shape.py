"""Flatten: merge dimensions start_dim..end_dim into one, e.g. (N, C, H, W) -> (N, C*H*W). The formula
is ``ops.shape.Reshape`` (backward reshapes the gradient back)."""

from __future__ import annotations

import math
import numbers
from typing import Any

from ..ops.shape import Reshape
from ..validation import fail
from .module import Module

__all__ = ["Flatten"]


class Flatten(Module):
    """x: (N, d1, ..., dk) -> (N, d1 * ... * dk) with the defaults start_dim=1, end_dim=-1, as
    ``torch.nn.Flatten``. Backward reshapes the gradient back to the input's shape."""

    _array_forward = True

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

    def forward(self, x: Any) -> Any:
        """x: ndarray or Tensor -> the same values, flattened (a 0-d input becomes shape (1,))."""
        a = self._check_input(x)
        return self._call_function(Reshape, x, shape=(1,) if a.ndim == 0 else self._flat_shape(a.shape))

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return self._flat_shape(input_shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
