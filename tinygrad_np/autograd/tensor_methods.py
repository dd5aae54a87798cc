"""The Tensor methods a transformer needs beyond the basic API: ``split``/``chunk`` (slices, each a
GetItem node), ``contiguous`` (the tensor itself: NumPy has no non-contiguous views to fix), ``var``,
``softmax``/``log_softmax`` along any dim. ``Tensor`` (tensor.py) inherits them."""

from __future__ import annotations

import itertools
import numbers
from typing import Any

import numpy as np

from ..ops import shape as shp
from ..ops import softmax as sm
from ..validation import fail
from . import tensor_args as args


class TransformerMethods:
    """Mixin of ``Tensor`` (see the module docstring)."""

    __slots__ = ()
    data: np.ndarray

    def _slices(self, d: int, cuts: list[int]) -> tuple[Any, ...]:
        pieces = []
        for lo, hi in itertools.pairwise(cuts):
            index = (slice(None),) * d + (slice(lo, hi),)
            pieces.append(shp.GetItem.apply(self, index=index))
        return tuple(pieces)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
        """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the given
        sizes (a list summing to the dim's length), as ``torch.split``."""
        d = args.dim("Tensor.split", dim, self.data.ndim)
        n = self.data.shape[d]
        s = split_size_or_sections
        if isinstance(s, numbers.Integral) and not isinstance(s, bool):
            if s < 1:
                raise fail("Tensor.split", "split_size", "be >= 1", s)
            sizes = [min(int(s), n - i) for i in range(0, n, int(s))] or [0]
        elif isinstance(s, list | tuple) and all(isinstance(x, numbers.Integral) and int(x) >= 0 for x in s):
            sizes = [int(x) for x in s]
            if sum(sizes) != n:
                raise fail("Tensor.split", "the sizes", f"sum to the dim's length {n}", list(s))
        else:
            rule = "be an int or a list of non-negative ints"
            raise fail("Tensor.split", "split_size_or_sections", rule, s, error=TypeError)
        return self._slices(d, [0, *np.cumsum(sizes).tolist()])

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Any, ...]:
        """``chunks`` pieces along ``dim`` (fewer if the length is short), each ceil(n / chunks) long
        but the last, as ``torch.chunk``."""
        if isinstance(chunks, bool) or not isinstance(chunks, numbers.Integral) or chunks < 1:
            raise fail("Tensor.chunk", "chunks", "be an integer >= 1", chunks, error=TypeError)
        d = args.dim("Tensor.chunk", dim, self.data.ndim)
        n = self.data.shape[d]
        return self.split(max(-(-n // int(chunks)), 1), d)

    def contiguous(self) -> Any:
        """The tensor itself (PyTorch needs this before ``view`` after ``transpose``; here ``view``
        copies where it must)."""
        return self

    def var(
        self, dim: Any = None, keepdim: bool = False, *, correction: int = 1, unbiased: Any = None
    ) -> Any:
        """Σ (x - mean)² / (n - correction) over ``dim`` (default all); ``unbiased=False`` is correction=0."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        axes = args.dims("Tensor.var", dim, self.data.ndim)
        xc = self - self.mean(dim=axes, keepdim=True)  # type: ignore[attr-defined]
        n = (
            self.data.size
            if axes is None
            else int(np.prod([self.data.shape[a] for a in np.atleast_1d(axes)]))
        )
        return (xc * xc).sum(dim=axes, keepdim=keepdim) / max(n - correction, 0)

    def softmax(self, dim: int = -1) -> Any:
        """exp(x) / Σ exp(x) along ``dim``, stable."""
        return sm.SoftmaxFunction.apply(self, dim=sm.check_dim("Tensor.softmax", dim))

    def log_softmax(self, dim: int = -1) -> Any:
        return sm.LogSoftmaxFunction.apply(self, dim=sm.check_dim("Tensor.log_softmax", dim))
