"""fit(): train a model with mini-batches, a History, progress, checkpoints, early stopping, resume.

    history = tnp.fit(model, tnp.BCELoss(), tnp.Adam(model.parameters(), lr=1e-3), x, y,
                      epochs=100, batch_size=32, validation_data=(x_val, y_val),
                      rng=np.random.default_rng(0),
                      callbacks=[tnp.EarlyStopping("val_loss", patience=10)],
                      checkpoint="runs/last.npz")
    history["val_accuracy"][-1]

One epoch: ``model.train()``, then for every batch: forward, loss, backward, ``optimizer.step()``;
then ``model.eval()`` for the validation pass; then the schedule steps and the callbacks run.
fit() leaves the model in eval mode, ready for predictions.

- Ctrl-C stops after the step under way: the weights trained so far stay in the model, the "last"
  checkpoint is written, and the History is returned (``stop_reason == "interrupted"``); a second
  Ctrl-C stops at once.
- Divergence raises TrainingDivergedError saying where, and leaves checkpoints untouched: a NaN or
  infinite loss or weight, or an epoch loss above ``divergence_factor`` (default 20) times the larger
  of the first epoch's loss and the best constant prediction's loss (``Loss.baseline``: the label
  entropy for BCE, the target variance for MSE); ``divergence_factor=None`` switches that rule off.
- ``progress``: "auto" (a tqdm bar on a terminal, plain lines otherwise), "bar", "lines" or "none";
  ``log_every`` sets the epochs between plain lines (default: about ten lines); ``progress_unit``
  names an epoch on the bar.
- ``fast_path=True`` (off by default) trains the first Linear in sample space: for full-batch SGD over
  inputs much wider than they are many (the course's cat model: 209 pictures of 12288 pixels) it is
  tens of times faster, the same arithmetic up to rounding (runs that oscillate for many iterations
  can part from the default path's). It applies without callbacks or a checkpoint (nothing may look at
  the weights until training ends), with full batches, SGD and a Sequential starting with a Linear
  layer, and at most one sample per four inputs; asked for where it does not apply, fit() raises a
  ValueError (TypeError for a dtype) saying why, before training. See train/fastpath.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ..data.dataset import dataset_labels
from ..data.loader import DataLoader
from ..nn.losses import Loss
from ..nn.module import Layer
from ..optim.lr_scheduler import LRScheduler
from ..optim.optimizer import Optimizer
from ..validation import check_finite_float, check_int, fail
from . import fastpath
from .callbacks import ModelCheckpoint
from .checkpoint import load_checkpoint
from .history import History
from .inputs import train_loader, val_loader
from .loop import Interrupted, check_health, counted_rows, evaluate, run_epoch
from .progress import Progress, SigintFlag
from .resume import restore
from .state import Callback, CallbackList, TrainState, check_scheduler

__all__ = ["fit"]


@dataclass
class _Plan:
    """fit()'s checked arguments: the training and validation batches as DataLoaders (over the arrays
    when given arrays, which the fast path keeps: ``x``, ``x_val``)."""

    train: DataLoader
    val: DataLoader | None
    x: np.ndarray | None
    x_val: np.ndarray | None
    shuffle: bool
    accuracy: bool
    baseline: float | None


def _plan(
    model: Layer,
    loss_fn: Loss,
    optimizer: Optimizer,
    x: np.ndarray | DataLoader,
    y: np.ndarray | None,
    epochs: int,
    batch_size: int | None,
    validation_data: object,
    rng: object,
    shuffle: bool,
    drop_last: bool,
    scheduler: object,
) -> _Plan:
    for what, obj, kind in (
        ("model", model, Layer),
        ("loss_fn", loss_fn, Loss),
        ("optimizer", optimizer, Optimizer),
    ):
        if not isinstance(obj, kind):
            raise fail("fit", what, f"be a tnp.{kind.__name__}", type(obj).__name__, error=TypeError)
    check_int("fit", "epochs", epochs, minimum=0)
    train, x_train, shuffling = train_loader(x, y, batch_size, rng, shuffle, drop_last)
    val, x_val = val_loader(validation_data, train.batch_size)
    if not {id(p) for p in optimizer.params} <= {id(p) for p in model.parameters()}:
        raise fail("fit", "optimizer", "hold only the model's parameters", "other parameters")
    check_scheduler(scheduler, optimizer)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise fail("fit", "rng", "be an np.random.Generator", type(rng).__name__, error=TypeError)
    if len(train) == 0:
        raise fail("fit", "batch_size", f"be <= the {train.m} samples with drop_last=True", train.batch_size)
    y_train = dataset_labels(train.dataset)
    labels = [y_train] + ([dataset_labels(val.dataset)] if val is not None else [])
    for what, targets in zip(("targets", "validation_data's targets"), labels, strict=False):
        rows = counted_rows(loss_fn, targets)
        if rows is not None and not rows.any():
            ignore = getattr(loss_fn, "ignore_index", None)
            raise fail("fit", what, f"hold at least one class other than ignore_index {ignore}",
                       f"all {len(targets)} equal to ignore_index: there is nothing to learn")  # fmt: skip
    accuracy = all(loss_fn.are_class_labels(t) for t in labels)
    return _Plan(train, val, x_train, x_val, shuffling, accuracy, loss_fn.baseline(y_train))


def fit(
    model: Layer,
    loss_fn: Loss,
    optimizer: Optimizer,
    x: np.ndarray | DataLoader,
    y: np.ndarray | None = None,
    *,
    epochs: int,
    batch_size: int | None = None,
    validation_data: tuple[np.ndarray, np.ndarray] | DataLoader | None = None,
    rng: np.random.Generator | None = None,
    shuffle: bool = True,
    drop_last: bool = False,
    scheduler: LRScheduler | None = None,
    callbacks: Sequence[Callback] = (),
    checkpoint: str | os.PathLike[str] | None = None,
    resume_from: str | os.PathLike[str] | None = None,
    divergence_factor: float | None = 20.0,
    progress: str = "auto",
    log_every: int | None = None,
    progress_unit: str = "epoch",
    fast_path: bool = False,
) -> History:
    """Train ``model`` for ``epochs`` epochs (in total, counting those of a resumed checkpoint).

    x: (m, ...) batch-first, y: (m,) or (m, 1). ``batch_size=None``: full-batch gradient descent;
    otherwise mini-batches reshuffled every epoch with ``rng``. ``validation_data=(x_val, y_val)`` is
    evaluated in eval mode after each epoch; ``scheduler`` steps after each epoch. ``checkpoint=path``
    adds ``ModelCheckpoint(path)``; ``resume_from=path`` continues such a checkpoint, all-or-nothing.
    Ctrl-C, divergence (``divergence_factor``) and ``progress``: see the module docstring.
    ``fast_path=True``: train the first layer in sample space (see the module docstring).
    ``x`` may be a tnp.data.DataLoader (then y, batch_size, rng, shuffle and drop_last are the loader's,
    and are left out here), and ``validation_data`` too: batches, shuffling and augmentation come from
    the loader, its rng saved in the checkpoint as fit's (so a resumed run draws the same ones).

    History "lr": the optimiser's (the first group's, with several parameter groups); losses and accuracies
    are over the rows that count (not ``ignore_index``'s). Callbacks start afresh (``on_train_begin``).
    """
    plan = _plan(model, loss_fn, optimizer, x, y, epochs, batch_size, validation_data, rng, shuffle,
                 drop_last, scheduler)  # fmt: skip
    if divergence_factor is not None:
        divergence_factor = check_finite_float("fit", "divergence_factor", divergence_factor, minimum=1.0)
    cbs = CallbackList([*callbacks, *([ModelCheckpoint(checkpoint)] if checkpoint is not None else [])])
    fast = _fast_path(fast_path, model, optimizer, plan, full_batch=batch_size is None, callbacks=cbs)
    t = plan.train  # a loader given as x brings its own rng
    state = TrainState(model, loss_fn, optimizer, scheduler, t.rng if plan.x is None else rng, cbs,
                       epochs=epochs, steps_per_epoch=len(t), batch_size=t.batch_size, m=t.m)  # fmt: skip
    cbs.call("on_train_begin", state)  # callbacks start afresh, then a resumed run gives them their state
    if resume_from is not None:
        restore(state, load_checkpoint(resume_from, model), os.fspath(resume_from))
    if plan.shuffle and state.rng is None:
        raise fail("fit", "rng", "be an explicit np.random.Generator for shuffled mini-batches", None,
                   "pass rng=np.random.default_rng(seed), shuffle=False, or batch_size=None")  # fmt: skip
    report = Progress(progress, epochs, state.epoch, log_every, progress_unit)
    if resume_from is not None:
        report.message(f"resumed from {os.fspath(resume_from)} after {state.where()}")
    with _stand_ins(state, fast):
        _train(state, plan, report, divergence_factor)
    cbs.call("on_train_end", state)
    model.eval()
    return state.history


def _fast_path(
    fast_path: object,
    model: Layer,
    optimizer: Optimizer,
    plan: _Plan,
    *,
    full_batch: bool,
    callbacks: CallbackList,
) -> fastpath.FirstLayerInSampleSpace | None:
    """The one call into the fast path when asked for (None otherwise); it raises here, before any training,
    saying why, where it does not apply."""
    if not isinstance(fast_path, bool):
        raise fail("fit", "fast_path", "be True or False", type(fast_path).__name__, error=TypeError)
    if not fast_path:
        return None
    if plan.x is None or (plan.val is not None and plan.x_val is None):
        raise fail("fit", "fast_path", "be False with a DataLoader (it needs the arrays x, y)", True)
    return fastpath.FirstLayerInSampleSpace(
        model, optimizer, plan.x, plan.x_val, full_batch=full_batch, callbacks=callbacks.items
    )


@contextmanager
def _stand_ins(state: TrainState, fast: fastpath.FirstLayerInSampleSpace | None) -> Iterator[None]:
    """With the fast path, the loop runs its stand-ins for the model and optimiser; however training
    ends, the real ones are back in ``state``, holding the trained weights (train/fastpath.py)."""
    if fast is None:
        yield
        return
    model, optimizer = state.model, state.optimizer
    try:
        with fast as (state.model, state.optimizer):
            yield
    finally:
        state.model, state.optimizer = model, optimizer


def _train(state: TrainState, plan: _Plan, report: Progress, factor: float | None) -> None:
    """The epochs, with Ctrl-C handling: callbacks, schedule, history and health checks per epoch."""
    sigint = SigintFlag()
    try:
        with sigint:
            state.model.train()
            while state.epoch < state.epochs and not state.stop_training:
                logs = run_epoch(
                    state,
                    plan.train,
                    shuffle=plan.shuffle,
                    accuracy=plan.accuracy,
                    report=report,
                    sigint=sigint,
                )
                lr_and_time = {k: logs.pop(k) for k in ("lr", "seconds")}
                if plan.val is not None:
                    val_loss, val_acc = evaluate(state.model, state.loss_fn, plan.val, plan.accuracy)
                    logs |= {"val_loss": val_loss} | (
                        {"val_accuracy": val_acc} if val_acc is not None else {}
                    )
                logs |= lr_and_time
                check_health(state, logs, factor, plan.baseline)
                state.epoch, state.step, state.order = state.epoch + 1, 0, None
                state.history.append(state.epoch, logs)
                if state.scheduler is not None:
                    state.scheduler.step()
                state.callbacks.call("on_epoch_end", state)
                report.epoch_end(state.epoch, logs)
                if sigint.requested and state.epoch < state.epochs and not state.stop_training:
                    raise Interrupted  # (a Ctrl-C in the run's last epoch lets it complete)
            if state.history.stop_reason == "early_stopping":
                report.message(f"early stopping after epoch {state.epoch}")
    except (Interrupted, KeyboardInterrupt) as e:
        if isinstance(e, KeyboardInterrupt) and sigint.requested:
            raise  # a second Ctrl-C: stop at once
        state.history.stop_reason = "interrupted"
        report.message(f"interrupted at {state.where()}: stopping cleanly")
        state.callbacks.call("on_interrupt", state)
    finally:
        report.close()
