"""State dicts: the arrays of a module tree under PyTorch's dotted names, loaded strictly and
all-or-nothing. ``Module.state_dict`` / ``load_state_dict`` / ``check_shapes`` call these functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..validation import fail
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
    """Check every key, shape and value first, then assign: a rejected dict changes nothing. Each
    Parameter loaded counts as changed in place (``_version``), so a graph that saved its old values
    refuses to backward."""
    who = type(model).__name__
    if not isinstance(state, Mapping):
        rule = "be a mapping of names to arrays (as state_dict() returns)"
        got, fix = f"a {type(state).__name__}", "e.g. dict(pairs) for a list of pairs"
        raise fail(f"{who}.load_state_dict", "state", rule, got, fix, TypeError)
    targets = state_slots(model)
    check_shapes(who, {k: np.shape(v) for k, v in state.items()}, targets)
    nonneg = {
        f"{prefix}.{name}" if prefix else name
        for prefix, module in model.named_modules(remove_duplicate=False)
        for name in module._nonnegative_buffers
    }
    new = {
        key: converted(who, key, state[key], current, key in nonneg) for key, (current, _) in targets.items()
    }
    for key, (_, p) in targets.items():
        if p is not None:
            p.data, p.grad = new[key], None
            p._version += 1
    for prefix, module in model.named_modules(remove_duplicate=False):
        for name in module._buffers:
            setattr(module, name, new[f"{prefix}.{name}" if prefix else name])


def converted(who: str, key: str, value: Any, current: np.ndarray, nonnegative: bool = False) -> np.ndarray:
    """``value`` (its shape already checked against ``current``'s) checked for real numbers, finite in
    ``current``'s dtype (whole numbers in its range for an integer one; >= 0 with ``nonnegative``),
    as a copy of that dtype."""
    value = np.asarray(value)
    who = f"{who}.load_state_dict"
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{who}: {key!r} must hold real numbers, got dtype {value.dtype}")
    if current.dtype.kind in "iu":
        _check_whole(who, key, value, current.dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        out = value.astype(current.dtype, copy=True)
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        raise ValueError(
            f"{who}: {key!r} must be finite in {current.dtype}, got NaN, inf or a value "
            f"too large for {current.dtype}"
        )
    if nonnegative and np.any(out < 0):
        raise fail(who, repr(key), "be >= 0", out[out < 0].flat[0].item())
    return out


def _check_whole(who: str, key: str, value: np.ndarray, dtype: np.dtype) -> None:
    """``value`` holds whole numbers that ``dtype`` (an integer dtype) can hold, or a ValueError."""
    if value.dtype.kind == "f":
        bad = ~(np.isfinite(value) & (value == np.trunc(value)))
        if np.any(bad):
            raise fail(who, repr(key), f"hold whole numbers (stored as {dtype})", value[bad].flat[0].item())
    if value.size == 0:
        return
    info = np.iinfo(dtype)
    lo, hi = value.min().item(), value.max().item()
    if lo < info.min or hi > info.max:
        raise fail(who, repr(key), f"lie in [{info.min}, {info.max}] ({dtype})", lo if lo < info.min else hi)


def in_context(e: Exception, where: str) -> Exception:
    """The same kind of error with ``where`` before its message (or ``e`` itself if it can't)."""
    msg = e.args[0] if isinstance(e, KeyError) and len(e.args) == 1 else str(e)
    try:
        return type(e)(f"{where}: {msg}")
    except Exception:
        return e


# -- files: a Parameter shared by several modules (weight tying) is written once ---------------------
TIED = "tied/"  # in a file, "tied/<key>" holds the name of the earlier key whose array <key> shares


def file_arrays(model: Any) -> dict[str, np.ndarray]:
    """What ``Module.save`` writes: the state dict (copies) with each Parameter's array once. A later key
    of a Parameter already written (a tied weight: PyTorch's state dict lists it under both names) is
    stored as ``tied/<key>``, a 0-d string naming the first key."""
    first: dict[int, str] = {}
    out: dict[str, np.ndarray] = {}
    for key, (value, p) in state_slots(model).items():
        if p is not None and id(p) in first:
            out[TIED + key] = np.array(first[id(p)])
            continue
        if p is not None:
            first[id(p)] = key
        out[key] = np.array(value, copy=True)
    return out


def untied(arrays: Mapping[str, Any]) -> dict[str, Any]:
    """``file_arrays`` undone: every ``tied/<key>`` becomes ``<key>`` with its partner's array. A file
    without tied keys (an older one, or a PyTorch state dict) comes back as it is."""
    out = {k: v for k, v in arrays.items() if not k.startswith(TIED)}
    for key, value in arrays.items():
        if key.startswith(TIED):
            partner = str(np.asarray(value))
            if partner not in out:
                raise fail("load", repr(key), "name a key stored in the file", repr(partner), error=KeyError)
            out[key[len(TIED) :]] = out[partner]
    return out


def file_shapes(header: Mapping[str, Any], model: Any) -> dict[str, tuple[int, ...]]:
    """The state-dict shapes a file's ``header`` (key -> array header) promises, before reading it: a
    tied key counts with the model's shape (its partner's shape is checked when the arrays are loaded)."""
    slots = state_slots(model)
    out = {k: tuple(a.shape) for k, a in header.items() if not k.startswith(TIED)}
    for key in header:
        if key.startswith(TIED):
            name = key[len(TIED) :]
            out[name] = slots[name][0].shape if name in slots else ()
    return out
