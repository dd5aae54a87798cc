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

from ..validation import check_batch, check_int, fail

__all__ = ["BatchIterator", "epoch_batches", "minibatches", "num_batches"]


def num_batches(m: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of batches per epoch for m samples."""
    return m // batch_size if drop_last else -(-m // batch_size)


def _check(who: str, x: Any, y: Any, batch_size: Any, shuffle: bool, rng: Any) -> int:
    """The number of samples, after checking the arguments shared by every batch iterator."""
    if shuffle and not isinstance(rng, np.random.Generator):
        raise fail(
            who,
            "rng",
            "be an explicit np.random.Generator when shuffle=True",
            type(rng).__name__,
            "e.g. rng=np.random.default_rng(0)",
            TypeError if rng is not None else ValueError,
        )
    check_int(who, "batch_size", batch_size)
    x, _ = check_batch(who, x, y)
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
    m = _check("minibatches", x, y, batch_size, shuffle, rng)
    order = rng.permutation(m) if shuffle else None  # type: ignore[union-attr]  # drawn now, not at next()
    return epoch_batches(x, y, batch_size, order=order, drop_last=drop_last)


def epoch_batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    *,
    order: np.ndarray | None = None,
    drop_last: bool = False,
    start: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches number ``start``, ``start + 1``, ... of one epoch in the sample order ``order`` (None:
    in place, as views). fit() resumes an interrupted epoch with ``start``."""
    m = _check("epoch_batches", x, y, batch_size, False, None)
    check_int("epoch_batches", "start", start, minimum=0)
    if order is not None and np.shape(order) != (m,):
        raise fail(
            "epoch_batches",
            "order",
            f"be a permutation of the {m} sample indices",
            f"shape {np.shape(order)}",
        )
    return _batches(x, y, batch_size, order, drop_last, start)


def _batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, order: np.ndarray | None, drop_last: bool, start: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
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
        self.m = _check("BatchIterator", x, y, batch_size, shuffle, rng)
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = rng
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return minibatches(
            self.x, self.y, self.batch_size, shuffle=self.shuffle, rng=self.rng, drop_last=self.drop_last
        )

    def __len__(self) -> int:
        return num_batches(self.m, self.batch_size, self.drop_last)

    def __repr__(self) -> str:
        return (
            f"BatchIterator(m={self.m}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last})"
        )
