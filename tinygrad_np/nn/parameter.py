"""Parameter: a trainable array (a leaf Tensor) and the gradient the last backward pass left on it."""

from __future__ import annotations

import numpy as np

from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A trainable array: a leaf ``Tensor`` with ``requires_grad=True``.

    ``data`` holds the values; ``grad`` is ``None`` until the first backward pass, then an array of the
    same shape and dtype, overwritten by every backward pass (added to with ``backward(accumulate=True)``),
    whether it came from ``layer.backward`` or from ``Tensor.backward``. Optimisers keep their state per
    Parameter object, so a Parameter is hashed by identity.
    """

    __slots__ = ()

    def __init__(self, data: np.ndarray) -> None:
        data = np.asarray(data)
        if data.dtype.kind != "f":
            raise TypeError(f"Parameter: data must be a floating-point array, got dtype {data.dtype}")
        self.data = data
        self.grad = None
        self.requires_grad = True
        self._ctx = None
        self._retain = False
        self._version = 0  # bumped by the library's in-place updates (optimiser steps, loading)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
