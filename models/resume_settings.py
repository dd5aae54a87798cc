"""The one rule both command lines (cat, fashion) apply to ``train --resume FILE``: a resumed run continues
with the settings of the run that wrote the checkpoint.

``train --checkpoint`` records the run's settings in the checkpoint (``extra/settings``, a JSON string;
see :func:`settings_extra`). On ``--resume``, :func:`resolve_settings` takes each setting from the
checkpoint; an option given on the command line with another value is an error naming the option (the
run would train with the checkpoint's value while metrics.json recorded the new one, or redraw the
validation split over images already trained on). Options not given take the checkpoint's value, or,
without a checkpoint, their default. Checkpoints written before settings were recorded give only what
their optimiser records (lr, momentum, weight decay).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

import tinygrad_np as tnp

__all__ = ["RESUME_RULE", "checkpoint_settings", "resolve_settings", "settings_extra"]

RESUME_RULE = (
    "continue from a checkpoint.npz of the same settings (written with --checkpoint); options not given "
    "are the checkpoint's, giving another value is an error"
)
_OPTIMIZER_KEYS = ("lr", "momentum", "weight_decay")


def settings_extra(settings: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """``ModelCheckpoint(extra=...)``: the run's settings as one JSON string (plain values only)."""
    return {"settings": np.array(json.dumps(dict(settings), sort_keys=True))}


def checkpoint_settings(path: str, arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The settings a checkpoint records: ``extra/settings``, else the optimiser's lr, momentum and
    weight decay (checkpoints written before the settings were recorded)."""
    if "extra/settings" in arrays:
        try:
            saved = json.loads(str(arrays["extra/settings"]))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: extra/settings must be a JSON object, got {exc}") from None
        if not isinstance(saved, dict):
            raise ValueError(f"{path}: extra/settings must be a JSON object, got {type(saved).__name__}")
        return saved
    return {
        k: float(arrays[f"optimizer/hparams/{k}"])
        for k in _OPTIMIZER_KEYS
        if f"optimizer/hparams/{k}" in arrays
    }


def _same(given: Any, saved: Any) -> bool:
    if isinstance(given, tuple):
        given = list(given)
    if isinstance(given, float) or isinstance(saved, float):
        return (
            isinstance(given, int | float) and isinstance(saved, int | float) and float(given) == float(saved)
        )
    return bool(given == saved)


def resolve_settings(
    args: argparse.Namespace, flags: Mapping[str, str], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Set every ``args.<key>`` of ``flags`` (key -> option, e.g. "weight_decay" -> "--weight-decay"),
    None when not given: from the checkpoint of ``args.resume`` if it records the key (a given value
    that differs: ValueError naming the option), else ``defaults[key]`` when not given (keys without a
    default stay None). Returns the checkpoint's settings ({} without --resume)."""
    saved: dict[str, Any] = {}
    if getattr(args, "resume", None):
        saved = checkpoint_settings(args.resume, tnp.load_checkpoint(args.resume))
    for key, flag in flags.items():
        given = getattr(args, key)
        if key in saved:
            value = saved[key]
            if given is not None and not _same(given, value):
                raise ValueError(
                    f"{flag} {_show(given)} differs from the checkpoint's {_show(value)} ({args.resume}); a "
                    f"resumed run continues with the checkpoint's settings: drop {flag} (or start a new run)"
                )
            setattr(args, key, value)
        elif given is None:
            setattr(args, key, defaults.get(key))
    return saved


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return str(value)
