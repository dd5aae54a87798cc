"""The backward engine: order the graph, then push gradients from the output to the leaves.

1. Order: an iterative depth-first search from the output lists every tensor after all the tensors
   it was computed from (a topological order; no recursion, so a chain of 100,000 ops is fine).
2. Walk that order backwards. A tensor's gradient is complete when it is reached (every use of it
   comes later in the order, so it has already sent its share): hand it to the node that made the
   tensor, which returns one gradient per input; sum each into that input's running total, first
   summing away the dimensions broadcasting added. Then drop the tensor's gradient.
3. A leaf that requires grad (a Parameter, a Tensor(..., requires_grad=True)) gets ``.grad`` set to its
   total, overwriting the last backward's: backward twice gives the same ``.grad``. With
   ``accumulate=True`` the total is added to the existing ``.grad`` instead (PyTorch's habit, for
   gradient accumulation over several batches). ``set_grad`` is that rule, also used by the layers.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def topological_order(root: Any) -> list[Any]:
    """Every tensor ``root`` depends on through nodes that need grad, inputs before outputs."""
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:  # all of t's inputs are in `order` already
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        ctx = t._ctx
        if ctx is not None:
            for x, needs in zip(ctx.inputs, ctx.needs_input_grad, strict=True):
                if needs and id(x) not in seen:
                    stack.append((x, False))
    return order


def backward(root: Any, grad: np.ndarray, accumulate: bool = False) -> None:
    """Set (or with ``accumulate``, add to) ``.grad`` on every leaf below ``root``:
    d(sum(root * grad))/d(leaf)."""
    order = topological_order(root)
    grads: dict[int, np.ndarray] = {id(root): grad}
    given: set[int] = set()  # arrays already handed to a tensor's .grad in this call
    for t in reversed(order):
        g = grads.pop(id(t), None)  # complete now; dropped once passed on
        if g is None:
            continue
        ctx = t._ctx
        if ctx is None or t._retain:
            set_grad(t, g, accumulate, given)
        if ctx is None:
            continue
        if ctx.versions:  # an input forward saved was changed in place since? (function.py)
            ctx.check_versions()
        for x, needs, gx in zip(ctx.inputs, ctx.needs_input_grad, ctx.backward(ctx, g), strict=True):
            if not needs or gx is None:
                continue
            if gx.shape != x.shape:
                gx = unbroadcast(gx, x.shape)
            prev = grads.get(id(x))
            grads[id(x)] = gx if prev is None else prev + gx  # summed over every use of x


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the dimensions that broadcasting added or stretched, giving ``shape``."""
    g = np.asarray(g)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return np.reshape(np.sum(g, axis=axes), shape) if axes else np.reshape(g, shape)


def set_grad(t: Any, g: np.ndarray, accumulate: bool = False, given: set[int] | None = None) -> None:
    """``t.grad = g`` (an array of its own, in t's dtype and shape), or ``t.grad += g`` with
    ``accumulate`` when t already has a gradient."""
    if g.shape != t.data.shape:
        g = unbroadcast(g, t.data.shape)
    if accumulate and t.grad is not None:
        t.grad = t.grad + g.astype(t.data.dtype, copy=False)
    else:
        t.grad = _owned(g, t.data.dtype, given)


def _owned(g: np.ndarray, dtype: np.dtype, given: set[int] | None) -> np.ndarray:
    """``g`` as an array that can become one tensor's ``.grad``: writable, not a view, in the tensor's
    dtype and not already given to another tensor (a copy only when one of these fails)."""
    if g.dtype != dtype:
        g = g.astype(dtype)
    elif g.base is not None or not g.flags.writeable or (given is not None and id(g) in given):
        g = g.copy()
    if given is not None:
        given.add(id(g))
    return g
