"""Linear: y = x @ W.T + b, batch-first, weight shaped (out_features, in_features) as in PyTorch.
The formula (forward and backward) is ``ops.linear.LinearFunction``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import linear as fn
from ..random import Seed, generator
from ..validation import check_int
from . import init as _init
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """Fully connected layer. x: (*, in_features) -> y: (*, out_features).

    ``weight``: (out_features, in_features), ``bias``: (out_features,). ``init`` names an initialiser of
    ``tinygrad_np.init`` ("he" by default, "xavier", "xavier_uniform", "normal" for 0.01*randn, "course"
    for randn/sqrt(in)) or is a callable ``(shape, rng, dtype) -> array``. Biases start at zero.
    ``rng``: a Generator, RandomState or int seed; None draws from ``tnp.manual_seed``'s generator.
    """

    _array_forward = True

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        init: str | _init.Initializer = "he",
        rng: Seed = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.in_features = check_int("Linear", "in_features", in_features)
        self.out_features = check_int("Linear", "out_features", out_features)
        w = _init.get(init)((self.out_features, self.in_features), generator("Linear", rng), np.dtype(dtype))
        self.weight = Parameter(w)
        self.bias = Parameter(np.zeros(self.out_features, dtype=dtype)) if bias else None

    def forward(self, x: Any) -> Any:
        """x: (*, in_features) ndarray or Tensor -> (*, out_features)."""
        a = self._check_input(x)
        if a.ndim == 0 or a.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: input must have shape (batch, {self.in_features}), got {a.shape}")
        self._check_dtype(a, self.weight)
        return self._call_function(fn.LinearFunction, x, self.weight, self.bias)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
        )
