"""What a converter needs to know about a traced node beyond its settings: a reshape's or expand's target
for any batch size (the size that follows the batch written as ONNX's 0/-1, or kept), and an index
made of ints and slices. Shared by the ONNX and torch converters."""

from __future__ import annotations

import numbers

import numpy as np

from ..validation import fail
from ._common import UnsupportedLayerError
from .trace import BATCHES, Node, Trace


def reshape_target(trace: Trace, n: Node, who: str) -> list[int]:
    """A Reshape node's target shape for any batch size: fixed sizes as traced, and for the one size
    that follows the batch, 0 (ONNX's "copy the input's size") where it is the input's first size in
    place, else -1 (inferred)."""
    t1, t2 = tuple(n.args["shape"]), tuple(n.args2["shape"])
    in1, in2 = trace.shapes(n.args["a"])
    batch = [i for i, (x, y) in enumerate(zip(t1, t2, strict=True)) if x != y]
    target = [int(x) for x in t1]
    if len(batch) == 1:
        i = batch[0]
        target[i] = 0 if i == 0 and (t1[0], t2[0]) == (in1[0], in2[0]) else -1
    if len(batch) > 1 or target.count(-1) > 1:
        got = f"{t1} at batch {BATCHES[0]} and {t2} at batch {BATCHES[1]}"
        raise fail(
            who,
            f"the reshape in {n.where()}",
            "keep the batch in one dimension",
            got,
            error=UnsupportedLayerError,
        )
    return target


def expand_target(trace: Trace, n: Node, who: str) -> list[int | None]:
    """An Expand node's target shape for any batch size: fixed sizes as traced, None where the size
    follows the batch and is the input's own (aligned from the right), kept as it is."""
    t1, t2 = tuple(n.args["shape"]), tuple(n.args2["shape"])
    in1, in2 = trace.shapes(n.args["a"])
    lead = len(t1) - len(in1)
    target: list[int | None] = []
    for i, (x, y) in enumerate(zip(t1, t2, strict=True)):
        j = i - lead
        if x == y:
            target.append(int(x))
        elif j >= 0 and (in1[j], in2[j]) == (x, y):
            target.append(None)
        else:
            got = f"{t1} at batch {BATCHES[0]} and {t2} at batch {BATCHES[1]}"
            rule = "keep the batch where the input has it"
            raise fail(who, f"the expand in {n.where()}", rule, got, error=UnsupportedLayerError)
    return target


def simple_index(n: Node, ndim: int, who: str) -> list[tuple[int, int | slice]]:
    """``n``'s index as (axis, int or slice) pairs, or an UnsupportedLayerError unless the index is
    ints and slices with positive steps (and one ``...``), the same at every batch size."""
    index = n.args["index"]
    items = index if isinstance(index, tuple) else (index,)

    def simple(i: object) -> bool:
        if isinstance(i, slice):
            ends = (i.start, i.stop, i.step)
            return all(e is None or isinstance(e, numbers.Integral) for e in ends) and (i.step or 1) > 0
        return i is Ellipsis or (isinstance(i, numbers.Integral) and not isinstance(i, bool | np.bool_))

    if (
        not all(simple(i) for i in items)
        or sum(i is Ellipsis for i in items) > 1
        or index != n.args2["index"]
    ):
        rule = "be ints and slices with positive steps (and one ...), the same for every batch size"
        raise fail(who, f"the index in {n.where()}", rule, repr(index), error=UnsupportedLayerError)
    if Ellipsis in items:
        k = items.index(Ellipsis)
        items = (*items[:k], *(slice(None),) * (ndim - len(items) + 1), *items[k + 1 :])
    return list(enumerate(items))


def eval_mode_dropout(who: str, n: Node) -> None:
    """A traced Dropout must be the identity (eval mode, no mask): a mask would be frozen into the export."""
    if n.args["mask"] is not None:
        raise fail(who, f"Dropout in {n.where()}", "run in eval mode (no mask)", "a mask",
                   error=UnsupportedLayerError)  # fmt: skip
