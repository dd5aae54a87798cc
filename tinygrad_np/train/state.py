"""TrainState, everything a run of fit() needs, and the Callback interface it is handed to.

The two name each other (a callback's hooks take the state; the state holds the callbacks), so they live
in one module; the built-in callbacks are in callbacks.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..nn.losses import Loss
from ..nn.module import Layer
from ..optim.lr_scheduler import LRScheduler
from ..optim.optimizer import Optimizer
from ..validation import fail
from .history import History

__all__ = ["Callback", "CallbackList", "TrainState", "check_scheduler", "empty_partial"]


def check_scheduler(scheduler: object, optimizer: Optimizer) -> None:
    """A schedule for fit's optimizer (one of another optimiser would decay that one instead)."""
    if scheduler is None:
        return
    if not isinstance(scheduler, LRScheduler):
        raise fail(
            "fit", "scheduler", "be a tnp.optim.LRScheduler", type(scheduler).__name__, error=TypeError
        )
    if scheduler.optimizer is not optimizer:
        got = f"a {type(scheduler).__name__} of another optimiser ({type(scheduler.optimizer).__name__})"
        raise fail("fit", "scheduler", "schedule fit's optimizer", got,
                   "build the schedule on the optimizer passed to fit")  # fmt: skip


def empty_partial() -> dict[str, float]:
    """Running sums of the epoch under way (``run_epoch`` adds ``lr``, the rate the epoch started with:
    the one its History row logs, also after a resume in mid-epoch under a per-step schedule)."""
    return {"loss_sum": 0.0, "correct": 0.0, "seen": 0.0, "seconds": 0.0}


class TrainState:
    """``epoch`` counts completed epochs; ``step`` counts the batches done in the epoch under way
    (0 between epochs); ``order`` is that epoch's sample order (None: in place).
    """

    def __init__(
        self,
        model: Layer,
        loss_fn: Loss,
        optimizer: Optimizer,
        scheduler: LRScheduler | None,
        rng: np.random.Generator | None,
        callbacks: CallbackList,
        *,
        epochs: int,
        steps_per_epoch: int,
        batch_size: int,
        m: int,
    ) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.scheduler, self.rng, self.callbacks = scheduler, rng, callbacks
        self.history = History()
        self.epochs, self.steps_per_epoch = epochs, steps_per_epoch
        self.batch_size, self.m = batch_size, m
        self.epoch = 0
        self.step = 0
        self.order: np.ndarray | None = None
        self.partial = empty_partial()
        self.stop_training = False
        self.reference_loss: float | None = None  # the first epoch's loss, for the divergence rule

    def stop(self, reason: str) -> None:
        """Ask fit() to stop at the end of this epoch (callbacks call this)."""
        self.stop_training = True
        self.history.stop_reason = reason

    def where(self) -> str:
        """ "epoch 3, step 2" (the epoch under way) or "epoch 3" (between epochs)."""
        return f"epoch {self.epoch + 1}, step {self.step}" if self.step else f"epoch {self.epoch}"


class Callback:
    """Base class: override any hook; each gets the running :class:`TrainState`. Callbacks run in list
    order, except that those with a higher ``order`` run later. ``state_dict``/``load_state_dict`` (flat
    arrays) let a checkpoint carry the callback's own state, so resuming continues its counters.

    ``on_train_begin`` runs at the start of every fit(), before a ``resume_from`` checkpoint is loaded:
    reset the per-run state there (as the built-in callbacks do, so one callback object can serve
    several fit() calls), and a resumed run then gets its saved state back through ``load_state_dict``."""

    order: int = 0

    def on_train_begin(self, state: TrainState) -> None: ...
    def on_batch_end(self, state: TrainState, loss: float) -> None: ...
    def on_epoch_end(self, state: TrainState) -> None: ...
    def on_interrupt(self, state: TrainState) -> None: ...
    def on_train_end(self, state: TrainState) -> None: ...

    def kept_files(self) -> list[str]:
        """Files this callback wrote that a failed run leaves as they were (for error messages)."""
        return []

    def state_dict(self) -> dict[str, np.ndarray]:
        return {}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        pass


class CallbackList:
    """The run's callbacks sorted by ``order`` (stable), called together:
    ``cbs.call("on_epoch_end", state)``."""

    def __init__(self, callbacks: Iterable[Callback]) -> None:
        items = list(callbacks)
        for i, cb in enumerate(items):
            if not isinstance(cb, Callback):
                raise fail("fit", f"callbacks[{i}]", "be a tnp.Callback", type(cb).__name__, error=TypeError)
        self.items = sorted(items, key=lambda cb: cb.order)

    def call(self, hook: str, state: TrainState, *args: float) -> None:
        for cb in self.items:
            getattr(cb, hook)(state, *args)

    def named(self) -> list[tuple[str, Callback]]:
        """("EarlyStopping.0", cb), ...: class name and its occurrence, stable across restarts."""
        seen: dict[str, int] = {}
        out = []
        for cb in self.items:
            name = type(cb).__name__
            out.append((f"{name}.{seen.get(name, 0)}", cb))
            seen[name] = seen.get(name, 0) + 1
        return out

    def kept_files(self) -> list[str]:
        return [f for cb in self.items for f in cb.kept_files()]
