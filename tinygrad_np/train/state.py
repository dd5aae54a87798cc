"""TrainState: everything a run of fit() needs, handed to every callback."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..nn.losses import Loss
from ..nn.module import Layer
from ..optim.lr_scheduler import LRScheduler
from ..optim.optimizer import Optimizer
from .history import History

if TYPE_CHECKING:
    from .callbacks import CallbackList

__all__ = ["TrainState", "empty_partial"]


def empty_partial() -> dict[str, float]:
    """Running sums of the epoch under way."""
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
