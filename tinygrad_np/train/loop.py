"""One epoch of training, and the evaluation pass: what fit() repeats."""

from __future__ import annotations

import math
import time

import numpy as np

from ..data.batches import epoch_order
from ..data.loader import DataLoader
from ..nn.losses import Loss
from ..nn.module import Layer
from ..optim.optimizer import Optimizer
from ..validation import fail
from .history import TrainingDivergedError
from .progress import Progress, SigintFlag
from .state import TrainState, empty_partial

__all__ = ["Interrupted", "count_correct", "counted_rows", "diverged", "evaluate", "run_epoch"]


class Interrupted(Exception):
    """Raised inside fit() to leave the loop after a complete step on Ctrl-C."""


def counted_rows(loss_fn: Loss, y: np.ndarray) -> np.ndarray | None:
    """Which rows' targets count (False at CrossEntropyLoss's ``ignore_index``), or None: all of them.
    Losses and accuracies are averaged over the rows that count."""
    ignore = getattr(loss_fn, "ignore_index", None)
    return None if ignore is None else np.asarray(y).reshape(len(y), -1)[:, 0] != ignore


def count_correct(loss_fn: Loss, pred: np.ndarray, y: np.ndarray) -> int:
    """How many predictions ``loss_fn.classify`` assigns to their label's class (rows that count only)."""
    classes = loss_fn.classify(pred)
    if classes is None:
        return 0
    right = classes.reshape(len(y), -1) == y.reshape(len(y), -1)
    rows = counted_rows(loss_fn, y)
    return int(np.count_nonzero(right if rows is None else right[rows]))


def logged_lr(optimizer: Optimizer) -> float:
    """The lr the History records: the optimiser's, or with several parameter groups the first group's."""
    groups = optimizer.param_groups
    return float(groups[0]["lr"]) if len(groups) > 1 else optimizer.lr


def _weight(loss_fn: Loss, y: np.ndarray) -> int:
    """How many rows of the batch count (the batch's loss is their mean)."""
    rows = counted_rows(loss_fn, y)
    return len(y) if rows is None else int(np.count_nonzero(rows))


def evaluate(model: Layer, loss_fn: Loss, loader: DataLoader, accuracy: bool) -> tuple[float, float | None]:
    """(mean loss, accuracy or None) over the loader's batches in order, in eval mode; restores training
    mode."""
    model.eval()
    loss_sum = correct = seen = 0.0
    for xb, yb in loader.batches():
        pred = model(xb)
        loss, n = loss_fn(pred, yb), _weight(loss_fn, yb)
        if n:  # a batch whose every target is ignored has a NaN mean and nothing to count
            loss_sum, seen = loss_sum + loss * n, seen + n
        if accuracy:
            correct += count_correct(loss_fn, pred, yb)
    model.train()
    return loss_sum / seen, (correct / seen if accuracy else None)


def run_epoch(
    state: TrainState,
    loader: DataLoader,
    *,
    shuffle: bool,
    accuracy: bool,
    report: Progress,
    sigint: SigintFlag,
) -> dict[str, float]:
    """Train the batches left in the epoch under way; returns its logs (loss, accuracy, lr, seconds).

    A Ctrl-C stops after the step under way, except in the epoch's last step: then the epoch ends first
    (validation, schedule, callbacks), so the checkpoint written is the start of the next epoch. A state
    whose batches are all done (``step == steps_per_epoch``, a checkpoint saved by a KeyboardInterrupt
    raised in the last step) trains no batch: the epoch's logs come from its saved running sums."""
    model, loss_fn, optimizer = state.model, state.loss_fn, state.optimizer
    if state.step == 0:
        state.order = epoch_order(state.m, shuffle, state.rng)
        state.partial = empty_partial()
    p = state.partial
    lr = p.setdefault("lr", logged_lr(optimizer))  # the epoch's starting lr, kept in a mid-epoch checkpoint
    t0, seconds0 = time.perf_counter(), p["seconds"]
    for xb, yb in loader.batches(state.order, start=state.step, rng=state.rng):
        pred = model(xb)
        loss, n = loss_fn(pred, yb), _weight(loss_fn, yb)
        if n and not math.isfinite(loss):  # n = 0: every target ignored, a NaN mean, zero gradients
            raise diverged(state, "the loss", "stay finite", str(loss), step=state.step + 1)
        model.backward_from(loss_fn)
        optimizer.step()
        state.step += 1
        if n:
            p["loss_sum"] += loss * n
            p["seen"] += n
        if accuracy:
            p["correct"] += count_correct(loss_fn, pred, yb)
        p["seconds"] = seconds0 + time.perf_counter() - t0
        state.callbacks.call("on_batch_end", state, loss)
        report.batch(p["loss_sum"] / p["seen"])
        if sigint.requested and state.step < state.steps_per_epoch:
            raise Interrupted  # in the epoch's last step, fit() stops after the epoch's end instead
    logs = {"loss": p["loss_sum"] / p["seen"]}
    if accuracy:
        logs["accuracy"] = p["correct"] / p["seen"]
    return logs | {"lr": lr, "seconds": seconds0 + time.perf_counter() - t0}


def check_health(
    state: TrainState, logs: dict[str, float], factor: float | None, baseline: float | None
) -> None:
    """Raise TrainingDivergedError when a weight or the validation loss is not finite, or when the
    epoch's loss exceeds ``factor`` times the reference: the larger of the first epoch's loss and
    ``baseline``, the loss of the best constant prediction (the documented divergence rule)."""
    if not all(np.all(np.isfinite(q.data)) for q in state.model.parameters()):
        raise diverged(state, "the weights", "stay finite", "a NaN or infinite weight", step=None)
    if not math.isfinite(logs.get("val_loss", 0.0)):
        raise diverged(state, "the validation loss", "stay finite", str(logs["val_loss"]), step=None)
    if state.reference_loss is None:
        state.reference_loss = max(logs["loss"], baseline or 0.0)
    elif factor is not None and logs["loss"] > factor * state.reference_loss:
        rule = (
            f"not explode past {factor:g} x {state.reference_loss:.4g} (divergence_factor x the larger of "
            "the first epoch's loss and the best constant prediction's; divergence_factor=None switches "
            "this rule off)"
        )
        raise diverged(state, "the epoch's loss", rule, f"{logs['loss']:.4g}", step=None)


def diverged(state: TrainState, what: str, rule: str, got: str, step: int | None) -> TrainingDivergedError:
    """fit's error when training diverged, in the one form ``fit: <what> must <rule>, got <got> at
    <where>; <fix>``: where (1-based epoch and step, the learning rate), the checkpoints left as they
    were, and what to try."""
    epoch, lr = state.epoch + 1, logged_lr(state.optimizer)
    at = f"epoch {epoch}/{state.epochs}" + (
        f", step {step}/{state.steps_per_epoch}" if step is not None else " (at its end)"
    )
    kept = state.callbacks.kept_files()
    note = (
        f"Checkpoints were left as they were: {', '.join(kept)}." if kept else "No checkpoint was asked for."
    )
    fix = (
        f"training diverged. {note} Try a lower learning rate (e.g. lr={lr / 10:g}), a smaller weight "
        "init, or check that the inputs are scaled (e.g. images / 255)."
    )
    message = str(fail("fit", what, rule, f"{got} at {at} with lr {lr:g}", fix))
    return TrainingDivergedError(message, epoch=epoch, step=step, history=state.history)
