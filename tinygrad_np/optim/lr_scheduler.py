"""Learning-rate schedules, usable with any optimiser that has a mutable ``.lr``.

Same idea and names as ``torch.optim.lr_scheduler``: build the schedule after the optimiser, call
``scheduler.step()`` once at the end of every epoch (``fit()`` does it for you). Each schedule is a
closed-form function of the epoch count, ``lr_at(epoch)``, so resuming only needs ``last_epoch``::

    opt = tnp.Adam(model.parameters(), lr=1e-3)
    sched = tnp.optim.CosineAnnealingLR(opt, T_max=100)
    for epoch in range(100):
        ...  # train one epoch with lr = opt.lr
        sched.step()
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..validation import fail

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "StepLR",
]


class LRScheduler:
    """Base class: sets ``optimizer.lr = lr_at(last_epoch)`` on construction and after every step().

    ``base_lr`` is the optimiser's lr when the schedule is built. Subclasses implement ``lr_at``.
    """

    def __init__(self, optimizer: Any) -> None:
        if not hasattr(optimizer, "lr"):
            got = f"an object of type {type(optimizer).__name__}"
            raise fail(
                type(self).__name__, "optimizer", "have an .lr attribute to schedule", got, error=TypeError
            )
        self.optimizer = optimizer
        self.base_lr = float(optimizer.lr)
        self.last_epoch = 0
        self.optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch: int) -> float:
        """Learning rate for epoch ``epoch`` (0-based), computed from ``base_lr``."""
        raise NotImplementedError

    def step(self) -> float:
        """Mark one more epoch as done and set the optimiser's lr for the next one; returns it."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)
        return self.optimizer.lr

    def get_last_lr(self) -> float:
        """The lr set by the last step() (or by the constructor)."""
        return self.lr_at(self.last_epoch)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat arrays (no pickle): ``base_lr`` and ``last_epoch``."""
        return {"base_lr": np.array(self.base_lr), "last_epoch": np.array(self.last_epoch)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore ``base_lr`` and ``last_epoch`` and set the optimiser's lr accordingly."""
        missing = {"base_lr", "last_epoch"} - set(state)
        if missing:
            who, got = f"{type(self).__name__}.load_state_dict", f"{sorted(missing)} missing"
            raise fail(who, "state", "have the keys 'base_lr' and 'last_epoch'", got, error=KeyError)
        self.base_lr = float(state["base_lr"])
        self.last_epoch = int(state["last_epoch"])
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_lr={self.base_lr:g}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """Step decay: ``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise fail("StepLR", "step_size", "be >= 1", step_size)
        self.step_size = int(step_size)
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiply by ``gamma`` at each epoch listed in ``milestones``:
    ``lr = base_lr * gamma ** (number of milestones <= epoch)``."""

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1) -> None:
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        passed = sum(1 for m in self.milestones if m <= epoch)
        return self.base_lr * self.gamma**passed


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``."""

    def __init__(self, optimizer: Any, gamma: float) -> None:
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """Cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs, then stays at ``eta_min``:
    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * min(epoch, T_max) / T_max)) / 2``.

    (PyTorch's closed form without restarts; PyTorch keeps following the cosine past ``T_max``,
    which makes the lr rise again; here it is held at ``eta_min``.)
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        if T_max < 1:
            raise fail("CosineAnnealingLR", "T_max", "be >= 1", T_max)
        self.T_max = int(T_max)
        self.eta_min = float(eta_min)
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        t = min(epoch, self.T_max)
        cosine = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)`` for any function of the epoch (e.g. a linear warm-up)."""

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float]) -> None:
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * float(self.lr_lambda(epoch))
