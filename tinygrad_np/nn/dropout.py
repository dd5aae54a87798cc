"""Dropout: inverted dropout. The formula is ``ops.dropout.DropoutFunction``; this layer draws the mask."""

from __future__ import annotations

from typing import Any

from ..ops import dropout as fn
from ..random import Seed, generator
from ..validation import check_probability
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Inverted dropout. x: any shape -> same shape.

    In training mode each element is kept with probability 1 - p and kept elements are scaled by
    1 / (1 - p), so the expected output equals the input and nothing changes at evaluation time.
    In eval mode (``model.eval()``) it is the identity. The mask is drawn from ``rng`` (an
    ``np.random.Generator``, an int seed for one, or None for ``tnp.manual_seed``'s generator) in
    forward and kept in the cache; backward multiplies by the same mask, so calling backward twice
    gives the same gradient.
    """

    _array_forward = True

    def __init__(self, p: float = 0.5, *, rng: Seed = None) -> None:
        super().__init__()
        self.p = check_probability("Dropout", "p", p)
        self.rng = generator("Dropout", rng)

    def forward(self, x: Any) -> Any:
        a = self._check_input(x)
        mask = fn.dropout_mask(a.shape, self.p, self.rng, a.dtype, self.training)
        return self._call_function(fn.DropoutFunction, x, mask)

    def extra_repr(self) -> str:
        return f"p={self.p}"
