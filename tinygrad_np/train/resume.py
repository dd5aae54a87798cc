"""A run's state as a checkpoint's arrays (the layout in checkpoint.py), and back, all-or-nothing."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..nn.state_dict import in_context
from ..serialization import split
from ..validation import fail
from .checkpoint import CheckpointError, generator_from_state, generator_state, named_generators
from .state import TrainState

__all__ = ["restore", "state_arrays"]

PARTIAL = ("loss_sum", "correct", "seen", "seconds")


def state_arrays(state: TrainState) -> dict[str, np.ndarray]:
    """The whole state of a run as flat arrays (the layout in checkpoint.py)."""
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


# -- checks, each error naming the file (``source``) ----------------------------------------------


def _int(arrays: Mapping[str, np.ndarray], key: str, source: str, minimum: int = 0) -> int:
    if key not in arrays:
        raise fail(source, repr(key), "be in the checkpoint", "a file without it",
                   "the file was not written by fit()", CheckpointError)  # fmt: skip
    a = np.asarray(arrays[key])
    if a.shape != () or a.dtype.kind not in "iu" or int(a) < minimum:
        raise fail(
            source, repr(key), f"be an integer >= {minimum}", f"{a.dtype} {a!r}", error=CheckpointError
        )
    return int(a)


def _finite(source: str, key: str, value: np.ndarray) -> None:
    """A saved running sum or loss: a finite real number >= 0 (0-d)."""
    a = np.asarray(value)
    if a.shape != () or a.dtype.kind not in "iuf" or not np.isfinite(a) or a < 0:
        raise fail(source, key, "be a finite number >= 0", a, error=CheckpointError)


def _check_order(source: str, order: np.ndarray | None, m: int) -> None:
    """The epoch's sample order, if saved: a permutation of the m sample indices."""
    if order is None:
        return
    if order.shape == (m,) and order.dtype.kind in "iu" and np.array_equal(np.sort(order), np.arange(m)):
        return
    got = f"{order.dtype} array of shape {order.shape} with {np.unique(order).size} distinct values"
    raise fail(
        source, "epoch_order", f"be a permutation of the {m} sample indices", got, error=CheckpointError
    )


def _check_position(state: TrainState, arrays: Mapping[str, np.ndarray], source: str) -> tuple[int, int]:
    """(epoch, step) of the checkpoint, checked against this run's data and batches."""
    epoch, step = _int(arrays, "epoch", source), _int(arrays, "step_in_epoch", source)
    if epoch > state.epochs:
        raise fail(source, "'epoch' (epochs completed)", f"be at most the {state.epochs} epochs asked for",
                   epoch, f"ask for epochs >= {epoch} to continue it", CheckpointError)  # fmt: skip
    saved = (_int(arrays, "batch_size", source, 1), _int(arrays, "num_samples", source, 1))
    if step and saved != (state.batch_size, state.m):
        raise fail(source, "a mid-epoch resume", f"have the checkpoint's batch_size {saved[0]} on {saved[1]} "
                   f"samples (it stopped at step {step})", f"batch_size {state.batch_size} on {state.m} "
                   "samples", "resume with the same data and batch size", CheckpointError)  # fmt: skip
    if step > state.steps_per_epoch:  # == : the batches done, the epoch's end not (fit finishes it)
        raise fail(source, "step_in_epoch", f"be <= {state.steps_per_epoch} (the batches in an epoch)", step,
                   error=CheckpointError)  # fmt: skip
    partial = split(arrays, "partial")
    if step and (set(PARTIAL) - set(partial) or set(partial) - {*PARTIAL, "lr"}):  # (lr: optional, newer)
        got = ", ".join(f"partial/{k}" for k in sorted(partial)) or "none of them"
        raise fail(source, "a mid-epoch checkpoint", "have partial/" + ", ".join(PARTIAL), got,
                   error=CheckpointError)  # fmt: skip
    for k, v in partial.items():
        _finite(source, f"partial/{k}", v)
    _check_order(source, arrays.get("epoch_order"), state.m)
    if "reference_loss" in arrays:
        _finite(source, "reference_loss", arrays["reference_loss"])
    return epoch, step


def _check_parts(state: TrainState, arrays: Mapping[str, np.ndarray], source: str) -> None:
    """The schedule and the random layers match the run's."""
    sched = split(arrays, "scheduler")
    if bool(sched) != (state.scheduler is not None):
        had, wanted = ("with", "a learning-rate schedule") if sched else ("without", "None")
        got = "None" if state.scheduler is None else type(state.scheduler).__name__
        raise fail(source, "fit's scheduler", f"be {wanted} (the checkpoint was written {had} one)", got,
                   "resume the same way", CheckpointError)  # fmt: skip
    saved = sorted(split(arrays, "rng/model"))
    here = sorted(path for path, _ in named_generators(state.model))
    if saved != here:
        raise fail(source, "the model's layers with an rng", f"be at {saved}, as in the checkpoint", here,
                   "resume into the same model", CheckpointError)  # fmt: skip


def restore(state: TrainState, arrays: Mapping[str, np.ndarray], source: str) -> None:
    """Load a checkpoint into the run, all-or-nothing: on any error everything is put back. Errors
    raised here name the file; the model's, optimiser's and schedule's get it put before them."""
    backup = (
        state.model.state_dict(),
        state.optimizer.state_dict(),
        state.scheduler.state_dict() if state.scheduler is not None else None,
    )
    try:
        state.model.load_state_dict(split(arrays, "model"))
        epoch, step = _check_position(state, arrays, source)
        _check_parts(state, arrays, source)
        fit_rng = (
            generator_from_state(arrays["rng/fit"], f"{source}: rng/fit") if "rng/fit" in arrays else None
        )
        saved_gens = split(arrays, "rng/model")
        model_rngs = {p: generator_from_state(v, f"{source}: rng/model/{p}") for p, v in saved_gens.items()}
        state.optimizer.load_state_dict(split(arrays, "optimizer"))
        if state.scheduler is not None:
            state.scheduler.load_state_dict(split(arrays, "scheduler"))
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
        if isinstance(e, CheckpointError):
            raise
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
    for path, gen in named_generators(state.model):
        gen.bit_generator.state = model_rngs[path].bit_generator.state
