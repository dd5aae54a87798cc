"""When ``fit(..., fast_path=True)`` applies (train/fastpath.py): its rules, checked before training; each
refusal says why."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..nn.container import Sequential
from ..nn.linear import Linear
from ..optim.sgd import SGD
from ..validation import fail

__all__ = ["MAX_SAMPLES_PER_INPUT", "check_applies"]

# The path pays off when the samples are much fewer than the first layer's inputs.
MAX_SAMPLES_PER_INPUT = 0.25

WHO = "fit"
WHAT = "fast_path=True"


def check_applies(
    model: object,
    optimizer: object,
    x: np.ndarray,
    x_val: np.ndarray | None,
    *,
    full_batch: bool,
    callbacks: Sequence[object],
) -> None:
    """Raise, saying why, unless the path applies: no callbacks, full batch, SGD, a Sequential
    starting with a Linear (trained by the optimiser, used by no other layer) fed by 2-d inputs of its
    dtype, at most ``MAX_SAMPLES_PER_INPUT`` samples per input."""
    if callbacks:
        names = ", ".join(type(cb).__name__ for cb in callbacks)
        raise fail(WHO, WHAT, "come without callbacks or checkpoint= (they may read the weights, which "
                   "the fast path keeps in sample space until training ends)", f"[{names}]",
                   "drop them, or fast_path")  # fmt: skip
    if not full_batch:
        raise fail(WHO, WHAT, "come with full-batch training (batch_size=None)", "mini-batches")
    if type(optimizer) is not SGD:
        raise fail(WHO, WHAT, "come with a tnp.SGD optimizer", type(optimizer).__name__)
    if len(optimizer.param_groups) != 1:
        raise fail(WHO, WHAT, "come with one parameter group", f"{len(optimizer.param_groups)} groups")
    layers = model.layers if type(model) is Sequential else []
    if len(layers) < 2 or type(layers[0]) is not Linear:
        raise fail(WHO, WHAT, "come with a tnp.Sequential whose first layer is a tnp.Linear, followed by "
                   "more layers", repr(model).splitlines()[0])  # fmt: skip
    first: Linear = layers[0]
    w = first.weight
    for what, a in (("x", x), ("validation_data's x", x_val)):
        if a is None:
            continue
        if a.ndim != 2 or a.shape[1] != first.in_features:
            raise fail(WHO, WHAT, f"come with {what} of shape (m, {first.in_features})", a.shape)
        if a.dtype != w.data.dtype:
            raise fail(WHO, WHAT, f"come with {what} of the weights' dtype {w.data.dtype}", a.dtype,
                       error=TypeError)  # fmt: skip
    if len(x) > MAX_SAMPLES_PER_INPUT * first.in_features:
        raise fail(WHO, WHAT, f"come with at most {MAX_SAMPLES_PER_INPUT:g} samples per input of the "
                   "first layer (with more it does not pay)",
                   f"{len(x)} samples for {first.in_features} inputs")  # fmt: skip
    if not any(p is w for p in optimizer.params):
        raise fail(WHO, WHAT, "come with the first layer's weight among the optimizer's parameters", "not")
    if any(p is w for layer in layers[1:] for p in layer.parameters()):
        raise fail(WHO, WHAT, "come with a first-layer weight no other layer uses", "a shared weight")
