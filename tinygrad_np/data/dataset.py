"""Map-style datasets, as in PyTorch: ``len(ds)`` samples, ``ds[i]`` one sample (a tuple such as (x, y)).

    ds = tnp.data.TensorDataset(x, y)         # in memory: x (m, ...), y (m,) share axis 0
    x0, y0 = ds[0]
    xb, yb = ds.gather(np.array([3, 1, 4]))   # a batch in one fancy-indexing step per array

A DataLoader asks a Dataset for whole batches with ``gather(indices)``. The base class builds one by
calling ``__getitem__`` per sample and stacking (the fallback for any dataset: files read one by one,
images decoded on demand); array-backed datasets (:class:`TensorDataset`, a :class:`Subset` of one)
override it with one fancy-indexing step per array, no Python loop over samples. A sample is a tuple of
arrays (or numbers), or a single array; a batch is the tuple of their stacks (or the one stack).

Fashion-MNIST and the cat data are arrays already: ``TensorDataset(data.x_train, data.y_train)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..validation import check_int, fail

__all__ = ["Dataset", "Subset", "TensorDataset", "collate", "dataset_labels", "random_split"]

Index = slice | np.ndarray


class Dataset:
    """Base class of map-style datasets: subclasses define ``__len__`` and ``__getitem__(i)``."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, i: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def gather(self, indices: Index) -> Any:
        """The samples at ``indices`` (an integer array, or a slice) as one batch: per sample, stacked."""
        return collate(self, indices)


def _positions(indices: Index, m: int) -> range | np.ndarray:
    return range(*indices.indices(m)) if isinstance(indices, slice) else np.asarray(indices)


def collate(dataset: Any, indices: Index) -> Any:
    """A batch from any object with ``__len__`` and ``__getitem__``: its samples at ``indices`` one by one,
    each field stacked along a new axis 0 (a tuple of (b, ...) arrays, or one array)."""
    samples = [dataset[int(i)] for i in _positions(indices, len(dataset))]
    if not samples:
        raise fail("collate", "indices", "select at least one sample", indices)
    if isinstance(samples[0], tuple | list):
        return tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(len(samples[0])))
    return np.stack([np.asarray(s) for s in samples])


class TensorDataset(Dataset):
    """Arrays sharing their first axis, sample ``i`` being ``tuple(a[i] for a in arrays)``: PyTorch's
    TensorDataset over NumPy arrays. ``gather`` is one fancy-indexing step per array (a slice: views)."""

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise fail("TensorDataset", "arrays", "be at least one array", "none", "e.g. TensorDataset(x, y)")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        lengths = [len(a) if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise fail("TensorDataset", "arrays", "be batch-first with the same number of samples", shapes)

    @property
    def tensors(self) -> tuple[np.ndarray, ...]:
        """The arrays (PyTorch's name)."""
        return self.arrays

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, i: int) -> tuple[Any, ...]:
        return tuple(a[i] for a in self.arrays)

    def gather(self, indices: Index) -> tuple[np.ndarray, ...]:
        return tuple(a[indices] for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.dtype}{list(a.shape)}" for a in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order; ``gather`` composes the indices and asks
    the dataset for the batch in one step (one fancy index for an array-backed dataset)."""

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        idx = np.asarray(indices)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise fail("Subset", "indices", "be a 1-d sequence of integers", f"{idx.dtype} {idx.shape}")
        m = len(dataset)
        if idx.size and (idx.min() < -m or idx.max() >= m):
            raise fail(
                "Subset", "indices", f"lie in [0, {m}) (the dataset's samples)", f"{idx.min()}..{idx.max()}"
            )
        self.dataset, self.indices = dataset, idx.astype(np.int64) % max(m, 1)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> Any:
        return self.dataset[int(self.indices[i])]

    def gather(self, indices: Index) -> Any:
        inner = self.indices[indices]
        return (
            self.dataset.gather(inner) if isinstance(self.dataset, Dataset) else collate(self.dataset, inner)
        )


def random_split(dataset: Any, lengths: Sequence[int], rng: np.random.Generator) -> list[Subset]:
    """Disjoint :class:`Subset` s of the given lengths (summing to ``len(dataset)``), from one permutation
    drawn from ``rng``, e.g. ``train, val = random_split(ds, [50000, 10000], np.random.default_rng(0))``."""
    if not isinstance(rng, np.random.Generator):
        raise fail("random_split", "rng", "be an np.random.Generator", type(rng).__name__,
                   "e.g. rng=np.random.default_rng(0)", TypeError)  # fmt: skip
    sizes = [check_int("random_split", "lengths", n, minimum=0) for n in lengths]
    if sum(sizes) != len(dataset):
        raise fail(
            "random_split", "lengths", f"sum to the {len(dataset)} samples", f"{sizes} (sum {sum(sizes)})"
        )
    order = rng.permutation(len(dataset))
    bounds = np.cumsum([0, *sizes])
    return [Subset(dataset, order[a:b]) for a, b in itertools.pairwise(bounds)]


def dataset_labels(dataset: Any) -> np.ndarray:
    """Every sample's label (the second field), for fit()'s accuracy and divergence rules: a
    TensorDataset's second array, a ``targets`` attribute (torchvision's name) if the dataset has one,
    otherwise one pass over the samples."""
    if isinstance(dataset, TensorDataset) and len(dataset.arrays) >= 2:
        return dataset.arrays[1]
    if isinstance(dataset, Subset):
        return dataset_labels(dataset.dataset)[dataset.indices]
    targets = getattr(dataset, "targets", None)
    if targets is not None:
        return np.asarray(targets)
    batch = dataset.gather(slice(None)) if isinstance(dataset, Dataset) else collate(dataset, slice(None))
    if not isinstance(batch, tuple) or len(batch) < 2:
        raise fail(
            "dataset_labels",
            "the dataset's samples",
            "be pairs (x, y)",
            type(batch).__name__,
            error=TypeError,
        )
    return batch[1]
