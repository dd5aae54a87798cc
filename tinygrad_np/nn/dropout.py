"""Dropout: inverted dropout with an explicit random generator."""

from __future__ import annotations

import numpy as np

from ..validation import check_probability, fail
from .layer import Layer

__all__ = ["Dropout"]


class Dropout(Layer):
    """Inverted dropout. x: any shape -> same shape.

    In training mode each element is kept with probability 1 - p and kept elements are scaled by
    1 / (1 - p), so the expected output equals the input and nothing changes at evaluation time.
    In eval mode (``model.eval()``) it is the identity. The mask is drawn from ``rng`` (an
    ``np.random.Generator``, or an int seed for one) in forward and cached; backward multiplies by
    the same cached mask, so calling backward twice gives the same gradient.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | int) -> None:
        super().__init__()
        self.p = check_probability("Dropout", "p", p)
        if isinstance(rng, bool) or not isinstance(rng, np.random.Generator | int | np.integer):
            raise fail(
                "Dropout",
                "rng",
                "be an np.random.Generator or an int seed",
                type(rng).__name__,
                "e.g. Dropout(0.5, rng=np.random.default_rng(0))",
                TypeError,
            )
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        if not self.training or self.p == 0.0:
            self._cache = (x.shape, None)  # identity: backward passes the gradient through
            return x
        if self.p == 1.0:
            mask = np.zeros(x.shape, dtype=x.dtype)  # everything dropped (1/(1-p) undefined)
        else:
            keep = self.rng.random(x.shape) >= self.p  # True with probability 1 - p
            mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - self.p))
        self._cache = (x.shape, mask)
        return x * mask

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        shape, mask = self._cached()
        g = self._check_grad(grad_out, shape)
        if not input_grad:
            return None
        return g if mask is None else g * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"
