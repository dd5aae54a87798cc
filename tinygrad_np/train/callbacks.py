"""The built-in callbacks for fit(): checkpoints of the best or last model, early stopping.

A callback gets the running :class:`~tinygrad_np.train.state.TrainState` at each hook (the Callback base
class and CallbackList are in state.py, re-exported here). Callbacks run in list order, except that those
with a higher ``order`` run later: ModelCheckpoint has order 100, so it saves after EarlyStopping has
updated its counters, and a resumed run continues exactly.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping

import numpy as np

from ..serialization import split
from ..validation import check_finite_float, check_int, fail
from .checkpoint import check_writable, save_checkpoint
from .resume import state_arrays
from .state import Callback, CallbackList, TrainState

__all__ = ["Callback", "CallbackList", "EarlyStopping", "ModelCheckpoint"]


def _resolve_mode(who: str, monitor: str, mode: str) -> str:
    if mode == "auto":
        return "max" if ("acc" in monitor or "f1" in monitor) else "min"
    if mode not in ("min", "max"):
        raise fail(who, "mode", "be 'min', 'max' or 'auto'", mode)
    return mode


class _Monitor:
    """Tracks the best value of one history key."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        self.monitor = monitor
        self.mode = _resolve_mode(type(self).__name__, monitor, mode)
        self.min_delta = abs(float(min_delta))
        self._reset_best()

    def _reset_best(self) -> None:
        """Nothing seen yet: every fit() starts here (on_train_begin)."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0

    def current(self, state: TrainState) -> float:
        values = state.history.history.get(self.monitor)
        if not values:
            raise fail(
                type(self).__name__,
                "monitor",
                f"be a key of the history {sorted(state.history.history)}",
                self.monitor,
                "val_* keys need validation_data",
            )
        return values[-1]

    def improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def _state(self) -> dict[str, np.ndarray]:
        return {"best": np.array(self.best), "best_epoch": np.array(self.best_epoch)}

    def _load(self, state: dict[str, np.ndarray]) -> None:
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])


class ModelCheckpoint(Callback, _Monitor):
    """Write a full training checkpoint (weights, optimiser, schedule, epoch, rng states, history,
    callback state) to ``path`` atomically at the end of epochs, or with ``save_best_only=True`` only
    when ``monitor`` improves.

    ``save_best_only=False`` (the "last" checkpoint, for resuming) writes at a bounded rate: at the
    first epoch's end, then at an epoch's end once ``every`` seconds (default 5) have passed since the
    last write, and always at the run's last epoch, when a callback stops training, and when it is
    interrupted with Ctrl-C (even mid-epoch), so ``fit(..., resume_from=path)`` continues exactly where
    it stopped. ``every=0`` writes every epoch. (A full-batch epoch is one step: writing megabytes at
    every step would cost more than the training.) A "best" checkpoint is written whenever ``monitor``
    improves. ``clock`` (seconds, default ``time.monotonic``) can be replaced in tests. ``extra``:
    arrays recorded in the file as ``extra/<key>`` (e.g. a command line's settings); fit() ignores
    them. Resume from the "last" checkpoint; the "best" one holds the weights to keep. The folder is
    created if it does not exist.
    """

    order = 100

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        monitor: str = "val_loss",
        mode: str = "auto",
        save_best_only: bool = False,
        every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        extra: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        _Monitor.__init__(self, monitor, mode)
        self.path = os.fspath(path)
        self.save_best_only = bool(save_best_only)
        self.every = check_finite_float("ModelCheckpoint", "every", every, minimum=0.0)
        self.clock = clock
        self.extra = {f"extra/{k}": np.asarray(v) for k, v in (extra or {}).items()}
        self.saved_epoch: int | None = None  # epoch count of the last write in this process
        self._last_write: float | None = None  # clock() at the last write in this run

    def on_train_begin(self, state: TrainState) -> None:
        """A new run: forget the last one's best value (a resumed run then loads its own)."""
        check_writable(self.path)
        self._reset_best()
        self.saved_epoch = None
        self._last_write = None

    def on_epoch_end(self, state: TrainState) -> None:
        if self.save_best_only:
            value = self.current(state)
            if not self.improved(value):
                return
            self.best, self.best_epoch = value, state.epoch
        elif not self._due(state):
            return
        self._save(state)

    def _due(self, state: TrainState) -> bool:
        """The rate rule of the "last" checkpoint (see the class docstring)."""
        last = self._last_write
        ends = state.epoch >= state.epochs or state.stop_training
        return last is None or ends or self.clock() - last >= self.every

    def on_interrupt(self, state: TrainState) -> None:
        if not self.save_best_only:
            self._save(state)

    def _save(self, state: TrainState) -> None:
        save_checkpoint(self.path, state_arrays(state) | self.extra)
        self.saved_epoch = state.epoch
        self._last_write = self.clock()

    def kept_files(self) -> list[str]:
        return [f"{self.path} (epoch {self.saved_epoch})" if self.saved_epoch is not None else self.path]

    def state_dict(self) -> dict[str, np.ndarray]:
        return self._state() if self.save_best_only else {}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        if self.save_best_only and state:
            self._load(state)

    def __repr__(self) -> str:
        what = f"best {self.monitor} ({self.mode})" if self.save_best_only else "last"
        return f"ModelCheckpoint({self.path!r}, {what})"


class EarlyStopping(Callback, _Monitor):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    ``mode="auto"`` maximises keys containing "acc" or "f1" and minimises the others (losses).
    With ``restore_best_weights=True`` the model gets the weights of its best epoch back when
    training ends (however it ends, Ctrl-C included).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        patience: int = 10,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ) -> None:
        _Monitor.__init__(self, monitor, mode, min_delta)
        self.patience = check_int("EarlyStopping", "patience", patience)
        self.restore_best_weights = bool(restore_best_weights)
        self.wait = 0
        self.best_weights: dict[str, np.ndarray] | None = None
        self.stopped_epoch: int | None = None

    def on_train_begin(self, state: TrainState) -> None:
        """A new run: forget the last one's best value, wait count and weights (a resumed run then
        loads its own)."""
        self._reset_best()
        self.wait, self.best_weights, self.stopped_epoch = 0, None, None

    def on_epoch_end(self, state: TrainState) -> None:
        value = self.current(state)
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best_weights:
                self.best_weights = state.model.state_dict()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.epoch
            state.stop("early_stopping")

    def on_train_end(self, state: TrainState) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            state.model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {**self._state(), "wait": np.array(self.wait)}
        for k, v in (self.best_weights or {}).items():
            out[f"best_weights/{k}"] = v
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self._load(state)
        self.wait = int(state["wait"])
        self.best_weights = split(state, "best_weights") or None

    def __repr__(self) -> str:
        return (
            f"EarlyStopping({self.monitor!r}, mode={self.mode!r}, patience={self.patience}, "
            f"min_delta={self.min_delta})"
        )
