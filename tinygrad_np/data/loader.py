"""DataLoader: batches of a Dataset, shuffled and augmented from one explicit Generator, resumable.

    rng = np.random.default_rng(0)
    loader = tnp.data.DataLoader(tnp.data.TensorDataset(x, y), batch_size=64, shuffle=True, rng=rng,
                                 transform=Compose([RandomCrop(28, padding=2), RandomHorizontalFlip()]))
    len(loader)                    # batches per epoch
    for xb, yb in loader: ...      # one epoch; each iter() is a new one
    tnp.fit(model, loss, opt, loader, epochs=10)

Batches follow minibatches' rule (batches.py: ``epoch_order``, ``batch_indices``): one permutation per
epoch drawn from ``rng`` when shuffling, the last partial batch kept unless ``drop_last``. A batch is
gathered in one step (``Dataset.gather``: one fancy index per array for a TensorDataset, per sample for
a generic Dataset), then ``transform(batch_x, rng)`` maps its first field (the inputs) as a whole batch.
Every random draw (the order, then each batch's augmentations in turn) comes from ``rng``, so a seeded
loader gives the same epochs on every run.

Resume: ``state_dict()`` holds the position (``epoch`` completed, ``step`` = batches handed out in the
epoch under way, that epoch's ``order``) and the generator's state; after ``load_state_dict`` the next
``iter()`` continues that epoch with the same batches and the same augmentations as an uninterrupted
run. fit() keeps the same position in its checkpoint (epoch, step_in_epoch, epoch_order, rng/fit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

import numpy as np

from ..random import generator_from_state, generator_state
from ..validation import check_int, fail
from .batches import batch_indices, check_batches, epoch_order, num_batches
from .dataset import Dataset, TensorDataset, collate

__all__ = ["BatchIterator", "DataLoader"]


def _flag(who: str, what: str, v: Any) -> bool:
    if not isinstance(v, bool | np.bool_):
        raise fail(who, what, "be True or False", type(v).__name__, error=TypeError)
    return bool(v)


class DataLoader:
    """Batches of ``dataset`` (anything with ``__len__`` and ``__getitem__``; a :class:`Dataset`'s
    ``gather``): ``batch_size`` samples each, reshuffled every epoch with ``rng`` when ``shuffle``, the
    last partial batch dropped with ``drop_last``, inputs mapped by ``transform(batch, rng)``. ``rng``
    must be an explicit np.random.Generator when shuffling or when the transform is random."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        transform: Callable[..., np.ndarray] | None = None,
        rng: np.random.Generator | None = None,
    ) -> None:
        who = type(self).__name__
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise fail(who, "dataset", "have __len__ and __getitem__ (a map-style Dataset)",
                       type(dataset).__name__, "e.g. tnp.data.TensorDataset(x, y)", TypeError)  # fmt: skip
        if len(dataset) == 0:
            raise fail(who, "dataset", "hold at least one sample", "an empty one")
        self.batch_size = check_int(who, "batch_size", batch_size)
        self.shuffle, self.drop_last = _flag(who, "shuffle", shuffle), _flag(who, "drop_last", drop_last)
        if transform is not None and not callable(transform):
            rule = "be callable (batch, rng) -> batch, or None"
            raise fail(who, "transform", rule, type(transform).__name__, error=TypeError)
        if rng is not None and not isinstance(rng, np.random.Generator):
            raise fail(who, "rng", "be an np.random.Generator or None", type(rng).__name__,
                       "e.g. rng=np.random.default_rng(0)", TypeError)  # fmt: skip
        if rng is None and (self.shuffle or getattr(transform, "random", False)):
            needs = "shuffle=True" if self.shuffle else "a random transform"
            raise fail(who, "rng", f"be an explicit np.random.Generator with {needs}", None,
                       "e.g. rng=np.random.default_rng(0)")  # fmt: skip
        self.dataset, self.transform, self.rng = dataset, transform, rng
        self._gather = dataset.gather if isinstance(dataset, Dataset) else partial(collate, dataset)
        self.epoch, self.step = 0, 0  # epochs completed; batches handed out in the epoch under way
        self.order: np.ndarray | None = None  # the order of the epoch under way (None: in place)
        self._resuming = False

    @property
    def m(self) -> int:
        """The number of samples."""
        return len(self.dataset)

    def __len__(self) -> int:
        return num_batches(self.m, self.batch_size, self.drop_last)

    def batches(
        self, order: np.ndarray | None = None, start: int = 0, rng: np.random.Generator | None = None
    ) -> Iterator[Any]:
        """Batches number ``start``, ``start + 1``, ... of an epoch in the sample order ``order`` (None:
        in place), transformed with ``rng`` (None: the loader's). The loader's position is not touched:
        fit() drives its epochs with this, keeping the position in its own state."""
        m = self.m
        check_int(type(self).__name__, "start", start, minimum=0)
        if order is not None and np.shape(order) != (m,):
            rule = f"be a permutation of the {m} sample indices"
            raise fail(type(self).__name__, "order", rule, f"shape {np.shape(order)}")
        rng = self.rng if rng is None else rng
        for idx in batch_indices(m, self.batch_size, order, self.drop_last, start):
            batch = self._gather(idx)
            if self.transform is not None:
                if isinstance(batch, tuple):
                    batch = (self.transform(batch[0], rng), *batch[1:])
                else:
                    batch = self.transform(batch, rng)
            yield batch

    def __iter__(self) -> Iterator[Any]:
        """One epoch: a new one (its order drawn at the first batch), or the rest of a restored one."""
        resuming, self._resuming = self._resuming, False
        if not resuming:
            self.order, self.step = None, 0
        return self._epoch(resuming)

    def _epoch(self, resuming: bool) -> Iterator[Any]:
        if not resuming:
            self.order = epoch_order(self.m, self.shuffle, self.rng)
        for batch in self.batches(self.order, self.step):
            self.step += 1  # counted when handed out: a state_dict taken now resumes after this batch
            yield batch
        self.epoch, self.step, self.order = self.epoch + 1, 0, None

    def state_dict(self) -> dict[str, np.ndarray]:
        """The position as flat arrays (npz-safe): ``epoch``, ``step``, ``order`` (mid-epoch, shuffled),
        ``rng`` (the Generator's state as JSON)."""
        epoch, step, order = self.epoch, self.step, self.order
        if step >= len(self):  # the epoch's batches are all out: the same as the next epoch's start
            epoch, step, order = epoch + 1, 0, None
        out = {"epoch": np.array(epoch), "step": np.array(step)}
        if step and order is not None:
            out["order"] = np.asarray(order)
        if self.rng is not None:
            out["rng"] = generator_state(self.rng)
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        """Restore a position from :meth:`state_dict`: the next ``iter()`` continues that epoch."""
        who = f"{type(self).__name__}.load_state_dict"
        epoch, step = (_saved_int(who, state, k) for k in ("epoch", "step"))
        if step >= len(self):
            raise fail(who, "step", f"be < {len(self)} (the batches in an epoch)", step)
        order = state.get("order")
        if step and self.shuffle and order is None:
            raise fail(who, "a mid-epoch state of a shuffling loader", "have its 'order'", "none")
        if order is not None:
            order = np.asarray(order)
            if order.shape != (self.m,) or not np.array_equal(np.sort(order), np.arange(self.m)):
                raise fail(who, "order", f"be a permutation of the {self.m} sample indices", order.shape)
        rng = generator_from_state(state["rng"], f"{who}: rng") if "rng" in state else None
        if rng is not None and self.rng is not None:
            self.rng.bit_generator.state = rng.bit_generator.state
        elif rng is not None:
            self.rng = rng
        self.epoch, self.step, self.order = epoch, step, (order if step else None)
        self._resuming = step > 0

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, transform={self.transform!r})"
        )


def _saved_int(who: str, state: Mapping[str, np.ndarray], key: str) -> int:
    if key not in state:
        raise fail(who, repr(key), "be in the state", f"keys {sorted(state)}", error=KeyError)
    a = np.asarray(state[key])
    if a.shape != () or a.dtype.kind not in "iu" or int(a) < 0:
        raise fail(who, repr(key), "be an integer >= 0", a)
    return int(a)


class BatchIterator(DataLoader):
    """A DataLoader over in-memory ``x`` (m, ...) and ``y`` (m,) or (m, 1): :func:`minibatches` made
    re-iterable (each ``iter()`` one new epoch, the rng shared across epochs)."""

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
        check_batches("BatchIterator", x, y, batch_size, shuffle, rng)
        super().__init__(TensorDataset(x, y), batch_size, shuffle=shuffle, drop_last=drop_last, rng=rng)
        self.x, self.y = self.dataset.arrays
