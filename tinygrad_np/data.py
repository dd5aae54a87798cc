"""Mini-batches over in-memory arrays, batch-first: x is (m, ...) and y is (m,) or (m, 1).

    rng = np.random.default_rng(0)
    for epoch in range(epochs):
        for xb, yb in tnp.minibatches(x, y, batch_size=32, shuffle=True, rng=rng):
            ...

Nothing copies the whole data set: each epoch draws one permutation of the m indices (m int64s),
and each batch is a fancy-indexed copy of ``batch_size`` rows only (a view when not shuffling).

The last partial batch: when m is not a multiple of ``batch_size`` the last batch is smaller and
is **kept** by default, so every sample is seen exactly once per epoch (PyTorch's DataLoader
default). ``drop_last=True`` drops it, so every batch has exactly ``batch_size`` samples.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["BatchIterator", "minibatches", "num_batches"]


def num_batches(m: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of batches per epoch for m samples."""
    return m // batch_size if drop_last else -(-m // batch_size)


def _check(x: np.ndarray, y: np.ndarray, batch_size: int, shuffle: bool, rng: Any) -> int:
    """The number of samples, after checking the arguments shared by minibatches and BatchIterator."""
    if shuffle and not isinstance(rng, np.random.Generator):
        raise ValueError("shuffle=True needs an explicit rng, e.g. rng=np.random.default_rng(0)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise TypeError(f"batch_size must be an int, got {type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        raise ValueError("x and y must be arrays with the samples along axis 0 (batch-first)")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}: samples go on axis 0 (batch-first)")
    return len(x)


def minibatches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = False,
    rng: np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield one epoch of (x_batch, y_batch) pairs, batch-first.

    x: (m, ...), y: (m,) or (m, 1); batches are (b, ...) and (b,) or (b, 1) with b <= batch_size.
    ``shuffle=True`` needs an explicit ``rng`` (np.random.Generator): one permutation per call.
    """
    m = _check(x, y, batch_size, shuffle, rng)
    order = rng.permutation(m) if shuffle else None  # drawn now, not at the first next()
    return _batches(x, y, batch_size, order, drop_last)


def _batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    order: np.ndarray | None,
    drop_last: bool,
    start: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches number ``start``, ``start + 1``, ... of one epoch in sample order ``order`` (None:
    in place, as views). fit() resumes an interrupted epoch with ``start``."""
    m = len(x)
    stop = m - m % batch_size if drop_last else m
    for first in range(start * batch_size, stop, batch_size):
        end = min(first + batch_size, m)
        if order is None:
            yield x[first:end], y[first:end]
        else:
            idx = order[first:end]
            yield x[idx], y[idx]


class BatchIterator:
    """Re-iterable version of :func:`minibatches`: each ``iter()`` is one new epoch.

    ``len()`` is the number of batches per epoch. The rng is shared across epochs, so a seeded
    Generator gives the same sequence of epochs on every run.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        *,
        shuffle: bool = False,
        rng: np.random.Generator | None = None,
        drop_last: bool = False,
    ) -> None:
        self.m = _check(x, y, batch_size, shuffle, rng)
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = rng
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return minibatches(
            self.x,
            self.y,
            self.batch_size,
            shuffle=self.shuffle,
            rng=self.rng,
            drop_last=self.drop_last,
        )

    def __len__(self) -> int:
        return num_batches(self.m, self.batch_size, self.drop_last)

    def __repr__(self) -> str:
        return (
            f"BatchIterator(m={self.m}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last})"
        )
