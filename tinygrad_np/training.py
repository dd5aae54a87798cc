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
"""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .callbacks import Callback, ModelCheckpoint
from .checkpoint import (
    generator_from_state,
    generator_state,
    load_checkpoint,
    named_generators,
    set_generator_state,
    split,
)
from .data import _batches, num_batches
from .losses import BCELoss, BCEWithLogitsLoss

__all__ = ["History", "TrainState", "TrainingDivergedError", "fit"]


class TrainingDivergedError(FloatingPointError):
    """The loss (or a weight) became NaN or infinite. ``epoch`` and ``step`` are 1-based;
    ``history`` holds the completed epochs."""

    def __init__(self, message: str, *, epoch: int, step: int | None, history: History) -> None:
        super().__init__(message)
        self.epoch, self.step, self.history = epoch, step, history


class History:
    """What fit() measured, one value per completed epoch.

    ``history["loss"]``, ``["accuracy"]`` (training, averaged over the epoch's batches),
    ``["val_loss"]``, ``["val_accuracy"]`` (with validation_data, in eval mode at the epoch's end),
    ``["lr"]`` (the learning rate used during the epoch), ``["seconds"]``. Accuracy is recorded for
    BCELoss (threshold 0.5) and BCEWithLogitsLoss (logit threshold 0) with 0/1 labels.
    ``epochs`` holds the 1-based epoch numbers; ``stop_reason`` is "completed", "early_stopping" or
    "interrupted".
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.stop_reason = "completed"

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self.epochs.append(int(epoch))

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def keys(self) -> list[str]:
        return list(self.history)

    def __len__(self) -> int:
        return len(self.epochs)

    @property
    def last(self) -> dict[str, float]:
        """The logs of the last completed epoch (empty before the first)."""
        return {k: v[-1] for k, v in self.history.items() if v}

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"epoch": np.array(self.epochs, dtype=np.int64)} | {
            k: np.array(v, dtype=np.float64) for k, v in self.history.items()
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.epochs = [int(e) for e in state.get("epoch", [])]
        self.history = {k: [float(x) for x in v] for k, v in state.items() if k != "epoch"}

    def __repr__(self) -> str:
        return f"History({len(self)} epochs, keys={self.keys()}, stop_reason={self.stop_reason!r})"


class TrainState:
    """Everything a run needs, handed to callbacks. ``epoch`` counts completed epochs; ``step``
    counts the batches done in the epoch under way (0 between epochs)."""

    def __init__(
        self,
        model: Any,
        loss_fn: Any,
        optimizer: Any,
        scheduler: Any,
        history: History,
        rng: np.random.Generator | None,
        callbacks: list[Callback],
        epochs: int,
        steps_per_epoch: int,
        batch_size: int,
        m: int,
    ) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.scheduler, self.history, self.rng = scheduler, history, rng
        self.callbacks = callbacks
        self.epochs, self.steps_per_epoch = epochs, steps_per_epoch
        self.batch_size, self.m = batch_size, m
        self.epoch = 0
        self.step = 0
        self.order: np.ndarray | None = None  # the sample order of the epoch under way
        self.partial = _empty_partial()  # running sums of the epoch under way
        self.stop_training = False

    def stop(self, reason: str) -> None:
        """Ask fit() to stop at the end of this epoch (callbacks call this)."""
        self.stop_training = True
        self.history.stop_reason = reason

    def named_callbacks(self) -> list[tuple[str, Callback]]:
        """("EarlyStopping.0", cb), ...: class name and its occurrence, stable across restarts."""
        seen: dict[str, int] = {}
        out = []
        for cb in self.callbacks:
            name = type(cb).__name__
            out.append((f"{name}.{seen.get(name, 0)}", cb))
            seen[name] = seen.get(name, 0) + 1
        return out

    def checkpoint_arrays(self) -> dict[str, np.ndarray]:
        """The whole state as flat arrays: see tinygrad_np.checkpoint for the layout."""
        out: dict[str, np.ndarray] = {}
        out |= {f"model/{k}": v for k, v in self.model.state_dict().items()}
        out |= {f"optimizer/{k}": v for k, v in self.optimizer.state_dict().items()}
        if self.scheduler is not None:
            out |= {f"scheduler/{k}": v for k, v in self.scheduler.state_dict().items()}
        out["epoch"] = np.array(self.epoch)
        out["step_in_epoch"] = np.array(self.step)
        out["batch_size"] = np.array(self.batch_size)
        out["num_samples"] = np.array(self.m)
        if self.step:
            if self.order is not None:
                out["epoch_order"] = self.order
            out |= {f"partial/{k}": np.array(v) for k, v in self.partial.items()}
        if self.rng is not None:
            out["rng/fit"] = generator_state(self.rng)
        for path, gen in named_generators(self.model):
            out[f"rng/model/{path}"] = generator_state(gen)
        out |= {f"history/{k}": v for k, v in self.history.state_dict().items()}
        for name, cb in self.named_callbacks():
            out |= {f"callbacks/{name}/{k}": np.asarray(v) for k, v in cb.state_dict().items()}
        return out

    def restore(self, arrays: dict[str, np.ndarray], source: str) -> None:
        """Load a checkpoint's arrays into the model, optimiser, schedule, rngs, history and
        callbacks. Raises ValueError/KeyError when the checkpoint does not fit this run."""
        self.model.load_state_dict(split(arrays, "model"))
        self.optimizer.load_state_dict(split(arrays, "optimizer"))
        sched = split(arrays, "scheduler")
        if bool(sched) != (self.scheduler is not None):
            raise ValueError(
                f"{source}: the checkpoint was written "
                f"{'with' if sched else 'without'} a learning-rate schedule; resume the same way"
            )
        if self.scheduler is not None:
            self.scheduler.load_state_dict(sched)
        self.epoch = int(arrays["epoch"])
        self.step = int(arrays["step_in_epoch"])
        if self.step:
            saved = (int(arrays["batch_size"]), int(arrays["num_samples"]))
            if saved != (self.batch_size, self.m):
                raise ValueError(
                    f"{source}: stopped mid-epoch with batch_size {saved[0]} on {saved[1]} "
                    f"samples; resume with the same data and batch_size"
                )
            self.order = arrays.get("epoch_order")
            self.partial = {k: float(v) for k, v in split(arrays, "partial").items()}
        if "rng/fit" in arrays:
            if self.rng is None:
                self.rng = generator_from_state(arrays["rng/fit"])
            else:
                set_generator_state(self.rng, arrays["rng/fit"])
        saved_gens = split(arrays, "rng/model")
        gens = dict(named_generators(self.model))
        if set(saved_gens) != set(gens):
            raise ValueError(
                f"{source}: random layers at {sorted(saved_gens)} in the checkpoint, "
                f"{sorted(gens)} in the model"
            )
        for path, gen in gens.items():
            set_generator_state(gen, saved_gens[path])
        self.history.load_state_dict(split(arrays, "history"))
        for name, cb in self.named_callbacks():
            cb_state = split(arrays, f"callbacks/{name}")
            if cb_state:
                cb.load_state_dict(cb_state)


def _empty_partial() -> dict[str, float]:
    return {"loss_sum": 0.0, "correct": 0.0, "seen": 0.0, "seconds": 0.0}


class _Stop(Exception):
    """Raised inside fit() to leave the loop after a complete step on Ctrl-C."""


class _SigintFlag:
    """While active (main thread only), the first Ctrl-C sets ``requested`` instead of raising, so
    fit() stops after the step under way; a second Ctrl-C raises KeyboardInterrupt at once."""

    def __init__(self) -> None:
        self.requested = False
        self._old: Any = None
        self._installed = False

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _SigintFlag:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._old)


class _Progress:
    """A tqdm bar over epochs with the running loss when stderr is a terminal (and tqdm is
    installed); otherwise plain lines on stdout every ``log_every`` epochs."""

    def __init__(self, mode: str, epochs: int, start: int, log_every: int | None) -> None:
        if mode not in ("auto", "bar", "lines", "none"):
            raise ValueError(f"progress must be 'auto', 'bar', 'lines' or 'none', got {mode!r}")
        self.epochs = epochs
        self.log_every = max(1, epochs // 10) if log_every is None else int(log_every)
        self.bar: Any = None
        if mode in ("auto", "bar") and (mode == "bar" or sys.stderr.isatty()):
            try:
                from tqdm.auto import tqdm  # optional: the core needs only numpy
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=epochs, initial=start, unit="epoch", dynamic_ncols=True)
        self.lines = self.bar is None and mode != "none"
        self._last_refresh = 0.0

    def batch(self, running_loss: float) -> None:
        now = time.perf_counter()
        if self.bar is not None and now - self._last_refresh > 0.2:
            self.bar.set_postfix(loss=f"{running_loss:.4f}")  # redraws the bar
            self._last_refresh = now

    def epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "seconds"}, refresh=False)
            self.bar.update(1)
        elif self.lines and (epoch % self.log_every == 0 or epoch == self.epochs or epoch == 1):
            print(_format_logs(epoch, self.epochs, logs), flush=True)

    def message(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=sys.stderr)
        elif self.lines:
            print(text, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _format_logs(epoch: int, epochs: int, logs: dict[str, float]) -> str:
    width = len(str(epochs))
    parts = [f"epoch {epoch:>{width}}/{epochs}"]
    for k, v in logs.items():
        if k == "lr":
            parts.append(f"lr {v:.2e}")
        elif k == "seconds":
            parts.append(f"{v:.2f}s")
        else:
            parts.append(f"{k} {v:.4f}")
    return "  ".join(parts)


def _accuracy_threshold(loss_fn: Any, *ys: np.ndarray) -> float | None:
    """Where the model's output is cut for accuracy: 0.5 on probabilities, 0 on logits; None when
    accuracy does not apply (other losses, labels that are not 0/1)."""
    if isinstance(loss_fn, BCEWithLogitsLoss):
        threshold = 0.0
    elif isinstance(loss_fn, BCELoss):
        threshold = 0.5
    else:
        return None
    if all(np.all((y == 0) | (y == 1)) for y in ys):
        return threshold
    return None


def _count_correct(pred: np.ndarray, y: np.ndarray, threshold: float) -> int:
    return int(np.count_nonzero((pred.reshape(-1) > threshold) == (y.reshape(-1) == 1)))


def _evaluate(
    model: Any,
    loss_fn: Any,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    threshold: float | None,
) -> tuple[float, float | None]:
    """(mean loss, accuracy) over (x, y) in eval mode, batch by batch; restores training mode."""
    model.eval()
    loss_sum = correct = 0.0
    for xb, yb in _batches(x, y, batch_size, None, False):
        pred = model(xb)
        loss_sum += loss_fn(pred, yb) * len(xb)
        if threshold is not None:
            correct += _count_correct(pred, yb, threshold)
    model.train()
    return loss_sum / len(x), (correct / len(x) if threshold is not None else None)


def _check_data(name: str, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
        raise ValueError(
            f"fit(): {name} must be batch-first arrays of the same length, got shapes {x.shape} and {y.shape}"
        )
    if len(x) == 0:
        raise ValueError(f"fit(): {name} is empty")
    if np.issubdtype(x.dtype, np.floating) and not np.all(np.isfinite(x)):
        raise ValueError(f"fit(): {name} inputs contain NaN or infinite values")
    return x, y


def fit(
    model: Any,
    loss_fn: Any,
    optimizer: Any,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int | None = None,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    rng: np.random.Generator | None = None,
    shuffle: bool = True,
    drop_last: bool = False,
    scheduler: Any = None,
    callbacks: Sequence[Callback] = (),
    checkpoint: str | os.PathLike[str] | None = None,
    resume_from: str | os.PathLike[str] | None = None,
    progress: str = "auto",
    log_every: int | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs (in total, counting those of a resumed checkpoint).

    x: (m, ...) batch-first, y: (m,) or (m, 1). ``batch_size=None`` trains on the full batch (the
    course's gradient descent); otherwise mini-batches, reshuffled every epoch with ``rng`` (an
    np.random.Generator, required when shuffling), the last partial batch kept unless
    ``drop_last``. ``validation_data=(x_val, y_val)`` is evaluated in eval mode after each epoch.
    ``scheduler`` (tinygrad_np.optim.lr_scheduler) steps after each epoch.

    ``checkpoint=path`` is a shortcut for ``callbacks=[ModelCheckpoint(path)]`` (the last epoch,
    and the exact point of a Ctrl-C). ``resume_from=path`` restores weights, optimiser state,
    schedule, epoch, position in the epoch, rng states, history and callback state from such a
    checkpoint, and continues up to ``epochs``.

    Ctrl-C stops after the step under way: the weights trained so far stay in the model, the
    "last" checkpoint is written, and the History is returned (``stop_reason == "interrupted"``).
    A NaN or infinite loss raises TrainingDivergedError saying where; checkpoints are not touched.

    ``progress``: "auto" (a tqdm bar on a terminal, plain lines otherwise), "bar", "lines" or
    "none"; ``log_every`` sets the epochs between plain lines (default: about ten lines).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 0:
        raise ValueError(f"fit(): epochs must be an int >= 0, got {epochs!r}")
    x, y = _check_data("x, y", x, y)
    m = len(x)
    val = None
    if validation_data is not None:
        if len(validation_data) != 2:
            raise ValueError("fit(): validation_data must be a pair (x_val, y_val)")
        val = _check_data("validation_data", *validation_data)
    model_params = {id(p) for p in model.parameters()}
    if any(id(p) not in model_params for p in optimizer.params):
        raise ValueError("fit(): the optimizer holds parameters that are not the model's")
    full_batch = batch_size is None
    bs = m if full_batch else int(batch_size)
    if bs < 1:
        raise ValueError(f"fit(): batch_size must be >= 1 or None, got {batch_size}")
    shuffling = shuffle and not full_batch
    if shuffling and rng is None and resume_from is None:
        raise ValueError(
            "fit(): shuffled mini-batches need an explicit rng=np.random.default_rng(seed) "
            "(or shuffle=False, or batch_size=None for full-batch training)"
        )
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"fit(): rng must be an np.random.Generator, got {type(rng).__name__}")
    steps = num_batches(m, bs, drop_last)
    if steps == 0:
        raise ValueError(f"fit(): drop_last with batch_size {bs} > {m} samples leaves no batch")

    cbs = list(callbacks)
    if checkpoint is not None:
        cbs.append(ModelCheckpoint(checkpoint))
    cbs.sort(key=lambda cb: cb.order)  # stable: list order within the same order
    history = History()
    state = TrainState(model, loss_fn, optimizer, scheduler, history, rng, cbs, epochs, steps, bs, m)
    if resume_from is not None:
        source = os.fspath(resume_from)
        state.restore(load_checkpoint(source), source)
    if shuffling and state.rng is None:
        raise ValueError("fit(): the checkpoint has no rng state; pass rng=")
    threshold = _accuracy_threshold(loss_fn, y, *(val[1:] if val is not None else ()))
    report = _Progress(progress, epochs, state.epoch, log_every)
    if resume_from is not None:
        where = f"epoch {state.epoch}" + (f", step {state.step}" if state.step else "")
        report.message(f"resumed from {os.fspath(resume_from)} after {where}")

    sigint = _SigintFlag()
    in_update = False  # True while the weights are being changed by optimizer.step()
    try:
        with sigint:
            for cb in cbs:
                cb.on_train_begin(state)
            model.train()
            while state.epoch < epochs and not state.stop_training:
                if state.step == 0:
                    state.order = state.rng.permutation(m) if shuffling else None
                    state.partial = _empty_partial()
                p = state.partial
                lr = optimizer.lr
                t0, seconds0 = time.perf_counter(), p["seconds"]
                for xb, yb in _batches(x, y, bs, state.order, drop_last, start=state.step):
                    pred = model(xb)
                    loss = loss_fn(pred, yb)
                    if not math.isfinite(loss):
                        raise _diverged(state, f"the loss is {loss}", step=state.step + 1)
                    model.backward(loss_fn.backward())
                    in_update = True
                    optimizer.step()
                    state.step += 1
                    p["loss_sum"] += loss * len(xb)
                    p["seen"] += len(xb)
                    if threshold is not None:
                        p["correct"] += _count_correct(pred, yb, threshold)
                    p["seconds"] = seconds0 + time.perf_counter() - t0
                    in_update = False
                    for cb in cbs:
                        cb.on_batch_end(state, loss)
                    report.batch(p["loss_sum"] / p["seen"])
                    if sigint.requested:
                        raise _Stop
                # -- end of the epoch: measure, record, schedule, callbacks -------------------
                logs = {"loss": p["loss_sum"] / p["seen"]}
                if threshold is not None:
                    logs["accuracy"] = p["correct"] / p["seen"]
                if val is not None:
                    val_loss, val_acc = _evaluate(model, loss_fn, *val, bs, threshold)
                    logs["val_loss"] = val_loss
                    if val_acc is not None:
                        logs["val_accuracy"] = val_acc
                if not all(np.all(np.isfinite(q.data)) for q in model.parameters()):
                    raise _diverged(state, "a weight became NaN or infinite", step=None)
                if not math.isfinite(logs.get("val_loss", 0.0)):
                    raise _diverged(state, f"the validation loss is {logs['val_loss']}", step=None)
                logs["lr"] = lr
                logs["seconds"] = seconds0 + time.perf_counter() - t0
                state.epoch += 1
                state.step, state.order, state.partial = 0, None, _empty_partial()
                history.append(state.epoch, logs)
                if scheduler is not None:
                    scheduler.step()
                for cb in cbs:
                    cb.on_epoch_end(state)
                report.epoch_end(state.epoch, logs)
                if sigint.requested:
                    raise _Stop
            if history.stop_reason == "early_stopping":
                report.message(f"early stopping after epoch {state.epoch}")
    except (_Stop, KeyboardInterrupt) as e:
        if isinstance(e, KeyboardInterrupt) and sigint.requested:
            raise  # a second Ctrl-C: stop at once
        history.stop_reason = "interrupted"
        where = f"epoch {state.epoch + (1 if state.step else 0)}, step {state.step}"
        if in_update:
            report.message(
                f"interrupted during a weight update ({where}): no checkpoint written, "
                "the weights may be half-updated"
            )
        else:
            report.message(f"interrupted at {where}: stopping cleanly")
            for cb in cbs:
                cb.on_interrupt(state)
    finally:
        report.close()
    for cb in cbs:
        cb.on_train_end(state)
    model.eval()
    return history


def _diverged(state: TrainState, what: str, step: int | None) -> TrainingDivergedError:
    epoch = state.epoch + 1
    where = f"epoch {epoch}/{state.epochs}" + (
        f", step {step}/{state.steps_per_epoch}" if step is not None else " (at its end)"
    )
    paths = [cb for cb in state.callbacks if isinstance(cb, ModelCheckpoint)]
    if paths:
        kept = ", ".join(
            f"{cb.path} (epoch {cb.saved_epoch})" if cb.saved_epoch is not None else cb.path for cb in paths
        )
        note = f"Checkpoints were left as they were: {kept}."
    else:
        note = "No checkpoint was asked for."
    lr = state.optimizer.lr
    return TrainingDivergedError(
        f"training diverged: {what} at {where} (lr {lr:g}). {note} "
        f"Try a lower learning rate (e.g. lr={lr / 10:g}), a smaller weight init, or check that "
        "the inputs are scaled (e.g. images / 255).",
        epoch=epoch,
        step=step,
        history=state.history,
    )
