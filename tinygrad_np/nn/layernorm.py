"""LayerNorm: normalise over the last dimensions (``normalized_shape``), then scale and shift, as
PyTorch's ``nn.LayerNorm``. The formula (forward and backward) is ``ops.layernorm.LayerNormFunction``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import layernorm as fn
from ..validation import check_finite_float, check_int, fail
from .module import Module
from .parameter import Parameter

__all__ = ["LayerNorm", "check_layer_norm_input", "normalized"]


def normalized(who: str, shape: Any) -> tuple[int, ...]:
    """``normalized_shape`` (an int or a tuple of ints >= 1) as a tuple."""
    dims = (shape,) if isinstance(shape, int | np.integer) else shape
    if not isinstance(dims, tuple | list) or not dims:
        raise fail(who, "normalized_shape", "be an int or a non-empty tuple of ints", shape, error=TypeError)
    return tuple(check_int(who, "normalized_shape", d) for d in dims)


def check_layer_norm_input(who: str, x: np.ndarray, shape: tuple[int, ...]) -> None:
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape) :] != shape:
        dims = ", ".join(str(d) for d in shape)
        raise fail(who, "input", f"have shape (*, {dims}) (normalized_shape={shape})", f"shape {x.shape}")


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, the statistics of each row over the last
    ``len(normalized_shape)`` dims (biased variance). ``weight`` starts at 1, ``bias`` at 0, both shaped
    ``normalized_shape`` (none with ``elementwise_affine=False``; no bias with ``bias=False``).
    x: (*, *normalized_shape) ndarray or Tensor -> the same shape."""

    _array_forward = True

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.normalized_shape = normalized("LayerNorm", normalized_shape)
        self.eps = check_finite_float("LayerNorm", "eps", eps, minimum=0.0)
        self.elementwise_affine = bool(elementwise_affine)
        dtype = np.dtype(dtype)
        affine = self.elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if affine and bias else None

    def forward(self, x: Any) -> Any:
        a = self._check_input(x)
        check_layer_norm_input(repr(self), a, self.normalized_shape)
        if self.weight is not None:
            self._check_dtype(a, self.weight)
        return self._call_function(
            fn.LayerNormFunction,
            x,
            self.weight,
            self.bias,
            normalized_shape=self.normalized_shape,
            eps=self.eps,
        )

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
