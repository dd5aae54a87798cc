"""fit() callbacks of the Fashion command: a schedule stepped after every optimiser step, and a time budget.

Both keep their state in fit's checkpoint (``state_dict``), so a resumed run continues the schedule where
it was and counts the training time already spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from tinygrad_np.optim import LRScheduler
from tinygrad_np.train import Callback, TrainState

__all__ = ["PerStepSchedule", "TimeBudget", "clock"]

clock: Callable[[], float] = time.monotonic  # the TimeBudget's default clock (tests replace it)


class PerStepSchedule(Callback):
    """Steps ``scheduler`` after every optimiser step (fit steps its own ``scheduler`` once per epoch), e.g.
    a ``CosineWarmupLR`` counted in steps. Runs before ModelCheckpoint (order 100), so a checkpoint holds
    the schedule of the weights it holds."""

    def __init__(self, scheduler: LRScheduler) -> None:
        self.scheduler = scheduler

    def on_batch_end(self, state: TrainState, loss: float) -> None:
        self.scheduler.step()

    def state_dict(self) -> dict[str, np.ndarray]:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.scheduler.load_state_dict(state)

    def __repr__(self) -> str:
        return f"PerStepSchedule({self.scheduler!r})"


class TimeBudget(Callback):
    """Stops training (``stop_reason`` "time budget") at the end of an epoch when the training time spent
    so far, plus that of the epoch just finished (the estimate of the next one), exceeds ``seconds``:
    training never starts an epoch it expects to end past the budget, so a run keeps to it (up to the
    spread of epoch times). The time counts validation passes and, on a resumed run, the time the
    checkpoint had spent. ``clock``: seconds (default: this module's ``clock``, ``time.monotonic``)."""

    order = 50  # before ModelCheckpoint (100): the checkpoint written at the stop records it

    def __init__(self, seconds: float, clock: Callable[[], float] | None = None) -> None:
        if not seconds > 0:
            raise ValueError(f"TimeBudget: seconds must be > 0, got {seconds}")
        self.seconds = float(seconds)
        self.clock = clock if clock is not None else globals()["clock"]
        self.spent_before = 0.0
        self.started = self.last = 0.0

    def on_train_begin(self, state: TrainState) -> None:
        self.spent_before = 0.0
        self.started = self.last = self.clock()

    def spent(self, now: float | None = None) -> float:
        """Seconds of training until ``now`` (default: the clock's reading), those of the run a resume
        continues included."""
        return self.spent_before + (self.clock() if now is None else now) - self.started

    def on_epoch_end(self, state: TrainState) -> None:
        now = self.clock()
        epoch_seconds, self.last = now - self.last, now
        if state.epoch < state.epochs and self.spent(now) + epoch_seconds > self.seconds:
            state.stop("time budget")

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"spent": np.array(self.spent())}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.spent_before = float(state.get("spent", 0.0))

    def __repr__(self) -> str:
        return f"TimeBudget({self.seconds:g} s)"
