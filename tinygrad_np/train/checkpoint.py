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

import os
from collections.abc import Iterator, Mapping

import numpy as np

from ..nn.module import Layer
from ..nn.state_dict import in_context
from ..random import generator_from_state as random_generator_from_state
from ..random import generator_state
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


class CheckpointError(ValueError):
    """A checkpoint that is not readable or does not fit the run it is resumed into."""


# -- random generators as JSON (the codec is tinygrad_np.random's) ------------------------------


def generator_from_state(state: np.ndarray, who: str = "rng") -> np.random.Generator:
    """A new Generator in the saved state (random.generator_from_state); errors are CheckpointErrors."""
    return random_generator_from_state(state, who, CheckpointError)


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
