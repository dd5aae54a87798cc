"""Training checkpoints: one ``.npz`` of plain arrays (no pickle), written atomically, read here too.

Layout (every value an array; ``/`` separates the parts of a key):

    format                  "tinygrad_np.checkpoint/1"
    model/<name>            the model's state_dict, e.g. "model/0.weight"
    optimizer/<key>         Optimizer.state_dict(), e.g. "optimizer/state/0/exp_avg"
    scheduler/<key>         the learning-rate schedule's state_dict (if any)
    epoch, step_in_epoch    epochs completed; batches done in the epoch under way (0 between epochs;
                            a Ctrl-C in an epoch's last step lets the epoch end, so fit() writes 0;
                            == the batches in an epoch (all done, the epoch's end to run) is read too)
    batch_size, num_samples to check that a resume uses the same batches
    epoch_order             the shuffled sample order of the epoch under way (interrupted runs)
    partial/<key>           running sums of the epoch under way (interrupted runs)
    reference_loss          the first epoch's loss (the divergence rule's reference), if known
    rng/fit                 fit()'s Generator state, a JSON string in a 0-d unicode array
    rng/model/<layer path>  the state of each layer's ``rng`` (e.g. Dropout), same encoding
    history/<key>           one float per completed epoch ("history/epoch" holds the numbers)
    callbacks/<name>/<key>  callback state (best value so far, patience counter, ...), where
                            name is the class and its occurrence, e.g. "EarlyStopping.0"
    extra/<key>             what the caller asked ModelCheckpoint to record (e.g. a command line's
                            settings); fit() does not read it

This module writes and reads the file; resume.py turns a run's state into these arrays and back.
Restoring is all-or-nothing: every part is checked first, and if anything fails the model,
optimiser, schedule and callbacks are put back as they were.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..nn.module import Layer
from ..nn.state_dict import in_context
from ..serialization import load, read_header, save, split
from ..validation import fail

__all__ = [
    "FORMAT",
    "CheckpointError",
    "check_writable",
    "generator_from_state",
    "generator_state",
    "load_checkpoint",
    "load_weights",
    "named_generators",
    "save_checkpoint",
]

FORMAT = "tinygrad_np.checkpoint/1"
# Data read from a file never chooses code to run: only these bit generators can be rebuilt.
BIT_GENERATORS = {
    cls.__name__: cls
    for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937, np.random.Philox, np.random.SFC64)
}


class CheckpointError(ValueError):
    """A checkpoint that is not readable or does not fit the run it is resumed into."""


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
            return np.array(obj["__ndarray__"], dtype=np.dtype(obj["dtype"]))
        return {k: _decode(v) for k, v in obj.items()}
    return obj


def generator_state(rng: np.random.Generator) -> np.ndarray:
    """The bit generator state of ``rng`` as JSON in a 0-d unicode array (npz-safe, no pickle)."""
    return np.array(json.dumps(_encode(rng.bit_generator.state)))


def generator_from_state(state: np.ndarray, who: str = "rng") -> np.random.Generator:
    """A new Generator in the saved state, of one of the allow-listed bit generator types (``who``
    names the entry in errors, e.g. "runs/last.npz: rng/fit")."""
    try:
        decoded = _decode(json.loads(str(state)))
        kind = decoded["bit_generator"] if isinstance(decoded, dict) else None
        if kind not in BIT_GENERATORS:
            raise fail(who, "bit_generator", f"be one of {sorted(BIT_GENERATORS)}", repr(kind),
                       error=CheckpointError)  # fmt: skip
        bit_generator = BIT_GENERATORS[kind]()
        bit_generator.state = decoded
    except CheckpointError:
        raise
    except (ValueError, TypeError, KeyError) as e:
        raise fail(who, "the entry", "be a valid random generator state", f"one that does not load ({e})",
                   error=CheckpointError) from None  # fmt: skip
    return np.random.Generator(bit_generator)


def set_generator_state(rng: np.random.Generator, state: np.ndarray, who: str = "rng") -> None:
    """Restore a state written by :func:`generator_state` into ``rng`` (same bit generator type)."""
    rng.bit_generator.state = generator_from_state(state, who).bit_generator.state


def named_generators(model: Layer) -> Iterator[tuple[str, np.random.Generator]]:
    """(dotted layer path, Generator) for every layer in the tree with an ``rng`` (e.g. Dropout)."""
    for path, layer in model.named_modules():
        rng = getattr(layer, "rng", None)
        if isinstance(rng, np.random.Generator):
            yield path, rng


# -- files ---------------------------------------------------------------------------------------


def check_writable(path: str | os.PathLike[str]) -> None:
    """Create ``path``'s folder if needed and check it can be written, before any training is spent."""
    who = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(who))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise fail(
            who, "its folder", "exist or be creatable", f"{folder} ({e.strerror})", error=OSError
        ) from e
    if not os.access(folder, os.W_OK | os.X_OK):
        raise fail(who, "its folder", "be writable", folder, error=PermissionError)


def save_checkpoint(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """Write a checkpoint atomically (temp file beside ``path``, then os.replace).

    Refuses (ValueError, file untouched) when a model weight is NaN or infinite, so a diverged run
    never overwrites the last good checkpoint.
    """
    for k, v in arrays.items():
        if k.startswith("model/") and v.dtype.kind == "f" and not np.all(np.isfinite(v)):
            what, got = f"weight {k[6:]!r}", "NaN or infinite values"
            raise fail(os.fspath(path), what, "be finite to be saved", got, "nothing was written")
    check_writable(path)
    save({"format": np.array(FORMAT), **arrays}, path)


def load_checkpoint(path: str | os.PathLike[str], model: Layer | None = None) -> dict[str, np.ndarray]:
    """Read a checkpoint written by fit()'s ModelCheckpoint (no pickle). With ``model``, the names
    and shapes of the saved weights are checked against it from the file's headers, before any
    array is read."""
    header = read_header(path)
    if "format" not in header or header["format"].dtype.kind != "U" or header["format"].shape != ():
        raise CheckpointError(
            f"{os.fspath(path)}: the format must be {FORMAT!r}, got no format entry; plain weight files "
            "load with model.load(path)"
        )
    if model is not None:
        try:
            model.check_shapes({k: a.shape for k, a in split(header, "model").items()})
        except (KeyError, ValueError) as e:
            raise in_context(e, os.fspath(path)) from e
    arrays = load(path)
    found = str(arrays.get("format", "none"))
    if found != FORMAT:
        raise CheckpointError(
            f"{os.fspath(path)}: the format must be {FORMAT!r}, got {found!r}; plain weight files load "
            "with model.load(path)"
        )
    return arrays


def load_weights(model: Layer, path: str | os.PathLike[str]) -> Layer:
    """Load only the model weights of a checkpoint into ``model`` (strict); returns the model."""
    arrays = load_checkpoint(path, model)
    try:
        return model.load_state_dict(split(arrays, "model"))
    except (KeyError, ValueError, TypeError) as e:
        raise in_context(e, os.fspath(path)) from e
