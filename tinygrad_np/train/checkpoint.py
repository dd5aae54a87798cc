"""Training checkpoints: one ``.npz`` of plain arrays (no pickle), written atomically, read here too.

Layout (every value an array; ``/`` separates the parts of a key):

    format                  "tinygrad_np.checkpoint/1"
    model/<name>            the model's state_dict, e.g. "model/0.weight"
    optimizer/<key>         Optimizer.state_dict(), e.g. "optimizer/state/0/exp_avg"
    scheduler/<key>         the learning-rate schedule's state_dict (if any)
    epoch, step_in_epoch    epochs completed; batches done in the epoch under way (0 at its end)
    batch_size, num_samples to check that a resume uses the same batches
    epoch_order             the shuffled sample order of the epoch under way (interrupted runs)
    partial/<key>           running sums of the epoch under way (interrupted runs)
    reference_loss          the first epoch's loss (the divergence rule's reference), if known
    rng/fit                 fit()'s Generator state, a JSON string in a 0-d unicode array
    rng/model/<layer path>  the state of each layer's ``rng`` (e.g. Dropout), same encoding
    history/<key>           one float per completed epoch ("history/epoch" holds the numbers)
    callbacks/<name>/<key>  callback state (best value so far, patience counter, ...), where
                            name is the class and its occurrence, e.g. "EarlyStopping.0"

Restoring is all-or-nothing: every part is checked first, and if anything fails the model,
optimiser, schedule and callbacks are put back as they were.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..nn.module import Layer
from ..nn.state_dict import in_context
from ..serialization import load, read_header, save, split

if TYPE_CHECKING:
    from .state import TrainState

__all__ = ["FORMAT", "load_checkpoint", "load_weights", "restore", "save_checkpoint", "state_arrays"]

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


def generator_from_state(state: np.ndarray, where: str = "rng") -> np.random.Generator:
    """A new Generator in the saved state, of one of the allow-listed bit generator types."""
    try:
        decoded = _decode(json.loads(str(state)))
        kind = decoded["bit_generator"] if isinstance(decoded, dict) else None
        if kind not in BIT_GENERATORS:
            raise CheckpointError(
                f"{where}: bit_generator must be one of {sorted(BIT_GENERATORS)}, got {kind!r}"
            )
        bit_generator = BIT_GENERATORS[kind]()
        bit_generator.state = decoded
    except CheckpointError:
        raise
    except (ValueError, TypeError, KeyError) as e:
        raise CheckpointError(f"{where}: not a valid random generator state ({e})") from None
    return np.random.Generator(bit_generator)


def set_generator_state(rng: np.random.Generator, state: np.ndarray, where: str = "rng") -> None:
    """Restore a state written by :func:`generator_state` into ``rng`` (same bit generator type)."""
    rng.bit_generator.state = generator_from_state(state, where).bit_generator.state


def named_generators(model: Layer) -> Iterator[tuple[str, np.random.Generator]]:
    """(dotted layer path, Generator) for every layer in the tree with an ``rng`` (e.g. Dropout)."""
    for path, layer in model.named_modules():
        rng = getattr(layer, "rng", None)
        if isinstance(rng, np.random.Generator):
            yield path, rng


# -- the run's state as arrays, and back -------------------------------------------------------


def state_arrays(state: TrainState) -> dict[str, np.ndarray]:
    """The whole state of a run as flat arrays (the layout above)."""
    out: dict[str, np.ndarray] = {f"model/{k}": v for k, v in state.model.state_dict().items()}
    out |= {f"optimizer/{k}": v for k, v in state.optimizer.state_dict().items()}
    if state.scheduler is not None:
        out |= {f"scheduler/{k}": v for k, v in state.scheduler.state_dict().items()}
    out |= {"epoch": np.array(state.epoch), "step_in_epoch": np.array(state.step)}
    out |= {"batch_size": np.array(state.batch_size), "num_samples": np.array(state.m)}
    if state.reference_loss is not None:
        out["reference_loss"] = np.array(state.reference_loss)
    if state.step:
        if state.order is not None:
            out["epoch_order"] = state.order
        out |= {f"partial/{k}": np.array(v) for k, v in state.partial.items()}
    if state.rng is not None:
        out["rng/fit"] = generator_state(state.rng)
    out |= {f"rng/model/{path}": generator_state(gen) for path, gen in named_generators(state.model)}
    out |= {f"history/{k}": v for k, v in state.history.state_dict().items()}
    for name, cb in state.callbacks.named():
        out |= {f"callbacks/{name}/{k}": np.asarray(v) for k, v in cb.state_dict().items()}
    return out


def _int(arrays: Mapping[str, np.ndarray], key: str, source: str, minimum: int = 0) -> int:
    if key not in arrays:
        raise CheckpointError(f"the checkpoint must have {key!r}; it was not written by fit()")
    a = np.asarray(arrays[key])
    if a.shape != () or a.dtype.kind not in "iu" or int(a) < minimum:
        raise CheckpointError(f"{key!r} must be an integer >= {minimum}, got {a.dtype} {a!r}")
    return int(a)


def _check_position(state: TrainState, arrays: Mapping[str, np.ndarray], source: str) -> tuple[int, int]:
    """(epoch, step) of the checkpoint, checked against this run's data and batches."""
    epoch, step = _int(arrays, "epoch", source), _int(arrays, "step_in_epoch", source)
    if epoch > state.epochs:
        raise CheckpointError(
            f"the checkpoint has {epoch} completed epochs, more than the {state.epochs} asked for; "
            f"ask for epochs >= {epoch} to continue it"
        )
    saved = (_int(arrays, "batch_size", source, 1), _int(arrays, "num_samples", source, 1))
    if step and saved != (state.batch_size, state.m):
        raise CheckpointError(
            "resuming mid-epoch needs the same data and batch size: the checkpoint stopped at "
            f"step {step} with batch_size {saved[0]} on {saved[1]} samples, this run has "
            f"batch_size {state.batch_size} on {state.m} samples"
        )
    if step >= state.steps_per_epoch and step:
        raise CheckpointError(f"step_in_epoch must be < {state.steps_per_epoch}, got {step}")
    partial = split(arrays, "partial")
    if step and set(partial) != {"loss_sum", "correct", "seen", "seconds"}:
        raise CheckpointError("a mid-epoch checkpoint must have partial/loss_sum, correct, seen, seconds")
    for k, v in partial.items():
        if np.shape(v) != () or np.asarray(v).dtype.kind not in "iuf" or not np.isfinite(v) or v < 0:
            raise CheckpointError(f"partial/{k} must be a finite number >= 0, got {v!r}")
    order = arrays.get("epoch_order")
    if order is not None and (
        order.shape != (state.m,)
        or order.dtype.kind not in "iu"
        or not np.array_equal(np.sort(order), np.arange(state.m))
    ):
        raise CheckpointError(f"epoch_order must be a permutation of {state.m} indices")
    if "reference_loss" in arrays:
        ref = np.asarray(arrays["reference_loss"])
        if ref.shape != () or ref.dtype.kind not in "iuf" or not np.isfinite(ref) or ref < 0:
            raise CheckpointError(f"reference_loss must be a finite number >= 0, got {ref!r}")
    return epoch, step


def restore(state: TrainState, arrays: Mapping[str, np.ndarray], source: str) -> None:
    """Load a checkpoint into the run, all-or-nothing: on any error everything is put back."""
    backup = (
        state.model.state_dict(),
        state.optimizer.state_dict(),
        state.scheduler.state_dict() if state.scheduler is not None else None,
    )
    try:
        state.model.load_state_dict(split(arrays, "model"))
        epoch, step = _check_position(state, arrays, source)
        sched = split(arrays, "scheduler")
        if bool(sched) != (state.scheduler is not None):
            had = "with" if sched else "without"
            raise CheckpointError(
                f"the checkpoint was written {had} a learning-rate schedule; resume the same way"
            )
        saved_gens = split(arrays, "rng/model")
        gens = dict(named_generators(state.model))
        if set(saved_gens) != set(gens):
            raise CheckpointError(
                f"random layers at {sorted(saved_gens)} in the checkpoint, {sorted(gens)} in the model"
            )
        fit_rng = generator_from_state(arrays["rng/fit"], "rng/fit") if "rng/fit" in arrays else None
        model_rngs = {p: generator_from_state(v, f"rng/model/{p}") for p, v in saved_gens.items()}
        state.optimizer.load_state_dict(split(arrays, "optimizer"))
        if state.scheduler is not None:
            state.scheduler.load_state_dict(sched)
        state.history.load_state_dict(split(arrays, "history"))
        for name, cb in state.callbacks.named():
            cb_state = split(arrays, f"callbacks/{name}")
            if cb_state:
                cb.load_state_dict(cb_state)
    except (KeyError, ValueError, TypeError) as e:
        state.model.load_state_dict(backup[0])
        state.optimizer.load_state_dict(backup[1])
        if state.scheduler is not None and isinstance(backup[2], dict):
            state.scheduler.load_state_dict(backup[2])
        raise in_context(e, source) from e
    state.epoch, state.step = epoch, step
    if "reference_loss" in arrays:
        state.reference_loss = float(arrays["reference_loss"])
    if step:
        state.order = arrays.get("epoch_order")
        state.partial = {k: float(v) for k, v in split(arrays, "partial").items()}
    if fit_rng is not None:
        if state.rng is None:
            state.rng = fit_rng
        else:
            state.rng.bit_generator.state = fit_rng.bit_generator.state
    for path, gen in gens.items():
        gen.bit_generator.state = model_rngs[path].bit_generator.state


# -- files ---------------------------------------------------------------------------------------


def check_writable(path: str | os.PathLike[str]) -> None:
    """Create ``path``'s folder if needed and check it can be written, before any training is spent."""
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise OSError(f"{os.fspath(path)}: cannot create the folder {folder} ({e.strerror})") from e
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"{os.fspath(path)}: the folder {folder} is not writable")


def save_checkpoint(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray]) -> None:
    """Write a checkpoint atomically (temp file beside ``path``, then os.replace).

    Refuses (ValueError, file untouched) when a model weight is NaN or infinite, so a diverged run
    never overwrites the last good checkpoint.
    """
    for k, v in arrays.items():
        if k.startswith("model/") and v.dtype.kind == "f" and not np.all(np.isfinite(v)):
            raise ValueError(f"{os.fspath(path)}: not saved, weight {k[6:]!r} is NaN or infinite")
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
