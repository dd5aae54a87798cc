"""Linear: y = x @ W.T + b, batch-first, weight shaped (out_features, in_features) as in PyTorch."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_int
from . import init as _init
from .layer import Layer
from .parameter import Parameter


class Linear(Layer):
    """Fully connected layer. x: (*, in_features) -> y: (*, out_features).

    ``weight``: (out_features, in_features), ``bias``: (out_features,). ``init`` names an initialiser of
    ``tinygrad_np.init`` ("he" by default, "xavier", "xavier_uniform", "normal" for 0.01*randn, "course"
    for randn/sqrt(in)) or is a callable ``(shape, rng, dtype) -> array``. Biases start at zero.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        init: str | _init.Initializer = "he",
        rng: np.random.Generator | np.random.RandomState | None = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.in_features = check_int("Linear", "in_features", in_features)
        self.out_features = check_int("Linear", "out_features", out_features)
        rng = np.random.default_rng() if rng is None else rng
        w = _init.get(init)((self.out_features, self.in_features), rng, np.dtype(dtype))
        self.weight = Parameter(w)
        self.bias = Parameter(np.zeros(self.out_features, dtype=dtype)) if bias else None

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: input must have shape (batch, {self.in_features}), got {x.shape}")
        if x.dtype != self.weight.data.dtype:
            raise TypeError(
                f"{self!r}: input must have the weights' dtype {self.weight.data.dtype}, got {x.dtype}; "
                f"convert with x.astype(np.{self.weight.data.dtype}) or model.to(np.{x.dtype})"
            )
        # W.T is a view: BLAS reads W transposed in place, no copy.
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        self._cache = x  # a reference, not a copy: backward needs x for the weight gradient
        return y

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        x = self._cached()
        g = self._check_grad(grad_out, (*x.shape[:-1], self.out_features))
        x2 = x if x.ndim == 2 else x.reshape(-1, self.in_features)
        g2 = g if g.ndim == 2 else g.reshape(-1, self.out_features)
        # dL/dW = g.T @ x: (out, batch) @ (batch, in), written into the existing grad buffer.
        np.matmul(g2.T, x2, out=self.weight.grad_buffer())
        if self.bias is not None:
            # dL/db = sum of g over the batch (np.add.reduce is g2.sum without its Python wrapper)
            np.add.reduce(g2, axis=0, out=self.bias.grad_buffer())
        if not input_grad:
            return None  # the first layer's dL/dx is the costliest product and training never needs it
        return g @ self.weight.data  # dL/dx: (*, out) @ (out, in)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )
