"""Training checkpoints: one ``.npz`` of plain arrays (no pickle), written atomically.

Layout (every value an array; ``/`` separates the parts of a key):

    format                  "tinygrad_np.checkpoint/1"
    model/<name>            the model's state_dict, e.g. "model/0.weight"
    optimizer/<key>         Optimizer.state_dict(), e.g. "optimizer/state/0/exp_avg"
    scheduler/<key>         the learning-rate schedule's state_dict (if any)
    epoch, step_in_epoch    epochs completed; batches done in the epoch under way (0 at its end)
    batch_size, num_samples to check that a mid-epoch resume uses the same batches
    epoch_order             the shuffled sample order of the epoch under way (interrupted runs)
    partial/<key>           running sums of the epoch under way (interrupted runs)
    rng/fit                 fit()'s Generator state, a JSON string in a 0-d unicode array
    rng/model/<layer path>  the state of each layer's ``rng`` (e.g. Dropout), same encoding
    history/<key>           one float per completed epoch ("history/epoch" holds the numbers)
    callbacks/<name>/<key>  callback state (best value so far, patience counter, ...), where
                            name is the class and its occurrence, e.g. "EarlyStopping.0"
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from .serialization import load, save, split

__all__ = [
    "FORMAT",
    "generator_from_state",
    "generator_state",
    "load_checkpoint",
    "load_weights",
    "named_generators",
    "save_checkpoint",
    "set_generator_state",
    "split",
]

FORMAT = "tinygrad_np.checkpoint/1"


# -- random generators as JSON strings -------------------------------------------------------


def _encode(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": obj.tolist(), "dtype": str(obj.dtype)}
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            return np.array(obj["__ndarray__"], dtype=obj["dtype"])
        return {k: _decode(v) for k, v in obj.items()}
    return obj


def generator_state(rng: np.random.Generator) -> np.ndarray:
    """The bit generator state of ``rng`` as JSON in a 0-d unicode array (npz-safe, no pickle)."""
    return np.array(json.dumps(_encode(rng.bit_generator.state)))


def set_generator_state(rng: np.random.Generator, state: np.ndarray) -> None:
    """Restore a state written by :func:`generator_state` into ``rng`` (same bit generator type)."""
    rng.bit_generator.state = _decode(json.loads(str(state)))


def generator_from_state(state: np.ndarray) -> np.random.Generator:
    """A new Generator of the saved bit generator type, in the saved state."""
    decoded = _decode(json.loads(str(state)))
    bit_generator = getattr(np.random, decoded["bit_generator"])()
    bit_generator.state = decoded
    return np.random.Generator(bit_generator)


def named_generators(model: Any, prefix: str = "") -> Iterator[tuple[str, np.random.Generator]]:
    """(path, Generator) for every layer with an ``rng`` attribute (e.g. Dropout), recursing into
    containers: paths are positions joined by dots, like parameter names ("2", "0.1")."""
    rng = getattr(model, "rng", None)
    if isinstance(rng, np.random.Generator):
        yield prefix.rstrip("."), rng
    if hasattr(model, "layers"):
        for i, layer in enumerate(model.layers):
            yield from named_generators(layer, f"{prefix}{i}.")


# -- saving and loading ---------------------------------------------------------------------------


def save_checkpoint(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """Write a checkpoint atomically (temp file beside ``path``, then os.replace).

    Refuses (ValueError, file untouched) when a model weight is NaN or infinite, so a diverged run
    never overwrites the last good checkpoint.
    """
    for k, v in arrays.items():
        if k.startswith("model/") and not np.all(np.isfinite(v)):
            raise ValueError(f"{os.fspath(path)}: not saved, weight {k[6:]!r} is NaN or infinite")
    save({"format": np.array(FORMAT), **arrays}, path)


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a checkpoint written by fit()'s ModelCheckpoint (np.load with allow_pickle=False)."""
    arrays = load(path)
    found = str(arrays.get("format", "none"))
    if found != FORMAT:
        raise ValueError(
            f"{os.fspath(path)}: not a tinygrad_np training checkpoint (format {found!r}, "
            f"expected {FORMAT!r}); plain weight files load with model.load(path)"
        )
    return arrays


def load_weights(model: Any, path: str | os.PathLike[str]) -> Any:
    """Load only the model weights of a checkpoint into ``model`` (strict); returns the model."""
    return model.load_state_dict(split(load_checkpoint(path), "model"))
