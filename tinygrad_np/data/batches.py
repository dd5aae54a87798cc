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

The DataLoader (loader.py) batches any Dataset with the same rule (``batch_indices``) and order
(``epoch_order``); ``BatchIterator(x, y, ...)`` is a DataLoader over ``TensorDataset(x, y)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ..validation import check_batch, check_int, fail

__all__ = ["batch_indices", "epoch_batches", "epoch_order", "minibatches", "num_batches"]


def num_batches(m: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of batches per epoch for m samples."""
    return m // batch_size if drop_last else -(-m // batch_size)


def epoch_order(m: int, shuffle: bool, rng: np.random.Generator | None) -> np.ndarray | None:
    """An epoch's sample order: one permutation of the m indices drawn from ``rng`` when shuffling,
    None (in place) otherwise. minibatches, the DataLoader and fit() all draw it here."""
    return rng.permutation(m) if shuffle and rng is not None else None


def batch_indices(
    m: int, batch_size: int, order: np.ndarray | None, drop_last: bool, start: int = 0
) -> Iterator[slice | np.ndarray]:
    """The indices of batches number ``start``, ``start + 1``, ... of an epoch over m samples in the order
    ``order``: slices when None (views of in-memory arrays), else pieces of ``order``. The one batching
    rule (the last partial batch kept unless ``drop_last``) of minibatches and the DataLoader."""
    stop = m - m % batch_size if drop_last else m
    for first in range(start * batch_size, stop, batch_size):
        end = min(first + batch_size, m)
        yield slice(first, end) if order is None else order[first:end]


def check_batches(who: str, x: Any, y: Any, batch_size: Any, shuffle: bool, rng: Any) -> int:
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
    m = check_batches("minibatches", x, y, batch_size, shuffle, rng)
    order = epoch_order(m, shuffle, rng)  # drawn now, not at next()
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
    m = check_batches("epoch_batches", x, y, batch_size, False, None)
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
    for idx in batch_indices(len(x), batch_size, order, drop_last, start):
        yield x[idx], y[idx]
