"""State dicts: the arrays of a module tree under PyTorch's dotted names, loaded strictly and
all-or-nothing. ``Module.state_dict`` / ``load_state_dict`` / ``check_shapes`` call these functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .parameter import Parameter

Slots = dict[str, tuple[np.ndarray, Parameter | None]]


class StateDictKeyError(KeyError):
    """A state dict with missing or unexpected keys. (Printed as its message, not as a quoted key.)"""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def state_slots(model: Any) -> Slots:
    """Every state-dict key with its current array and Parameter (None for a buffer). A module used
    twice appears under each of its names, as in PyTorch's state dict; per module, its parameters,
    then its buffers (PyTorch's order)."""
    slots: Slots = {}
    for prefix, module in model.named_modules(remove_duplicate=False):
        dot = f"{prefix}." if prefix else ""
        for name, p in module._own_parameters():
            slots[dot + name] = (p.data, p)
        for name in module._buffers:
            slots[dot + name] = (getattr(module, name), None)
    return slots


def check_shapes(who: str, shapes: Mapping[str, tuple[int, ...]], targets: Slots) -> None:
    """Raise a StateDictKeyError for missing or extra keys, a ValueError for a shape that differs."""
    missing = [k for k in targets if k not in shapes]
    unexpected = [k for k in shapes if k not in targets]
    if missing or unexpected:
        raise StateDictKeyError(
            f"{who}.load_state_dict: the state dict must have the model's keys {list(targets)}, "
            f"got missing keys {missing} and unexpected keys {unexpected}"
        )
    for key, (current, _) in targets.items():
        if tuple(shapes[key]) != current.shape:
            raise ValueError(
                f"{who}.load_state_dict: {key!r} must have shape {current.shape}, got {tuple(shapes[key])}"
            )


def load_state(model: Any, state: Mapping[str, Any]) -> None:
    """Check every key, shape and value first, then assign: a rejected dict changes nothing."""
    who = type(model).__name__
    targets = state_slots(model)
    check_shapes(who, {k: np.shape(v) for k, v in state.items()}, targets)
    new = {key: converted(who, key, state[key], current) for key, (current, _) in targets.items()}
    for key, (_, p) in targets.items():
        if p is not None:
            p.data, p.grad = new[key], None
    for prefix, module in model.named_modules(remove_duplicate=False):
        for name in module._buffers:
            setattr(module, name, new[f"{prefix}.{name}" if prefix else name])


def converted(who: str, key: str, value: Any, current: np.ndarray) -> np.ndarray:
    """``value`` (its shape already checked against ``current``'s) checked for real numbers, finite in
    ``current``'s dtype, as a copy of that dtype."""
    value = np.asarray(value)
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{who}.load_state_dict: {key!r} must hold real numbers, got dtype {value.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = value.astype(current.dtype, copy=True)
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        raise ValueError(
            f"{who}.load_state_dict: {key!r} must be finite in {current.dtype}, got NaN, inf or a value "
            f"too large for {current.dtype}"
        )
    return out


def in_context(e: Exception, where: str) -> Exception:
    """The same kind of error with ``where`` before its message (or ``e`` itself if it can't)."""
    msg = e.args[0] if isinstance(e, KeyError) and len(e.args) == 1 else str(e)
    try:
        return type(e)(f"{where}: {msg}")
    except Exception:
        return e
