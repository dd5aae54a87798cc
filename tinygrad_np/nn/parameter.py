"""Parameter: a trainable array and the gradient the last backward pass left on it."""

from __future__ import annotations

import numpy as np


class Parameter:
    """A trainable array.

    ``data`` holds the values; ``grad`` is ``None`` until the first backward pass, then an array of the
    same shape and dtype, overwritten (never accumulated) by every backward pass. Optimisers keep their
    state per Parameter object, so a Parameter is hashed by identity.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data: np.ndarray) -> None:
        data = np.asarray(data)
        if data.dtype.kind != "f":
            raise TypeError(f"Parameter: data must be a floating-point array, got dtype {data.dtype}")
        self.data: np.ndarray = data
        self.grad: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def grad_buffer(self) -> np.ndarray:
        """Return ``grad``, first (re)allocating it if it is missing or has the wrong shape or dtype.

        Layers write gradients into this buffer with ``out=`` so that a training loop does not allocate
        a new weight-sized array on every step.
        """
        g = self.grad
        if g is None or g.shape != self.data.shape or g.dtype != self.data.dtype:
            g = self.grad = np.empty_like(self.data)
        return g

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
