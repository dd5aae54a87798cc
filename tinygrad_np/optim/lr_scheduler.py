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
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..validation import check_finite_float, check_int, fail

__all__ = [
    "CosineAnnealingLR",
    "CosineWarmupLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "StepLR",
    "cosine_warmup_lr",
]


def cosine_warmup_lr(it: int, max_lr: float, min_lr: float, warmup_steps: int, total_steps: int) -> float:
    """nanoGPT's ``get_lr(it)``: a linear warm-up, then a cosine down to ``min_lr`` at ``total_steps``::

        it <  warmup_steps:                 max_lr * (it + 1) / (warmup_steps + 1)
        warmup_steps <= it <= total_steps:  min_lr + (max_lr - min_lr) * (1 + cos(pi * r)) / 2,
                                            r = (it - warmup_steps) / (total_steps - warmup_steps)
        it >  total_steps:                  min_lr

    (nanoGPT's ``warmup_iters`` and ``lr_decay_iters``; ``it`` counts optimiser steps from 0.)
    """
    if it < warmup_steps:
        return max_lr * (it + 1) / (warmup_steps + 1)
    if it > total_steps:
        return min_lr
    ratio = (it - warmup_steps) / (total_steps - warmup_steps)
    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * ratio))


def _gamma(who: str, gamma: Any) -> float:
    return check_finite_float(who, "gamma", gamma, minimum=0.0)


class LRScheduler:
    """Base class: sets each parameter group's lr to ``lr_at(last_epoch, base_lr)`` on construction and
    after every step(), ``base_lr`` being that group's lr when the schedule is built (PyTorch's
    per-group ``base_lrs``). An object without ``param_groups`` but with a mutable ``.lr`` is one group.

    Subclasses check their settings before calling ``super().__init__`` (nothing is changed when one is
    wrong) and implement ``lr_at(epoch, base_lr)``.
    """

    def __init__(self, optimizer: Any) -> None:
        if not hasattr(optimizer, "param_groups") and not hasattr(optimizer, "lr"):
            got = f"an object of type {type(optimizer).__name__}"
            raise fail(
                type(self).__name__, "optimizer", "have an .lr attribute to schedule", got, error=TypeError
            )
        self.optimizer = optimizer
        self.base_lrs = [float(lr) for lr in self._lrs()]
        self.last_epoch = 0
        self._set(self.lrs_at(0))

    @property
    def base_lr(self) -> float:
        """The first group's base lr (the only one, with one group)."""
        return self.base_lrs[0]

    def _lrs(self) -> list[float]:
        groups = getattr(self.optimizer, "param_groups", None)
        return [self.optimizer.lr] if groups is None else [g["lr"] for g in groups]

    def _set(self, lrs: list[float]) -> None:
        groups = getattr(self.optimizer, "param_groups", None)
        if groups is None:
            self.optimizer.lr = lrs[0]
            return
        for group, lr in zip(groups, lrs, strict=True):
            group["lr"] = lr

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        """Learning rate for epoch ``epoch`` (0-based) of a group that started at ``base_lr`` (default:
        the first group's)."""
        raise NotImplementedError

    def lrs_at(self, epoch: int) -> list[float]:
        """Every group's learning rate for epoch ``epoch`` (inf where a power overflows: the optimiser's
        check then says the lr must be finite)."""
        out = []
        for b in self.base_lrs:
            try:
                out.append(self.lr_at(epoch, b))
            except OverflowError:
                out.append(math.inf)
        return out

    def step(self) -> float:
        """Mark one more epoch as done and set the optimiser's lrs for the next one; returns the
        first group's."""
        lrs = self.lrs_at(self.last_epoch + 1)
        self.last_epoch += 1
        self._set(lrs)
        return lrs[0]

    def get_last_lr(self) -> float:
        """The first group's lr set by the last step() (or by the constructor)."""
        return self.lr_at(self.last_epoch)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Flat arrays (no pickle): ``base_lr`` (0-d with one group, one per group otherwise) and
        ``last_epoch``."""
        base = self.base_lrs[0] if len(self.base_lrs) == 1 else self.base_lrs
        return {"base_lr": np.array(base), "last_epoch": np.array(self.last_epoch)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore ``base_lr`` and ``last_epoch`` (checked first) and set the optimiser's lrs accordingly."""
        who = f"{type(self).__name__}.load_state_dict"
        missing = {"base_lr", "last_epoch"} - set(state)
        if missing:
            got = f"{sorted(missing)} missing"
            raise fail(who, "state", "have the keys 'base_lr' and 'last_epoch'", got, error=KeyError)
        base = np.atleast_1d(np.asarray(state["base_lr"]))
        n = len(self.base_lrs)
        if base.ndim != 1 or len(base) != n or base.dtype.kind not in "iuf":
            raise fail(who, "'base_lr'", f"hold {n} real number(s), one per parameter group", repr(base))
        base_lrs = [check_finite_float(who, "'base_lr'", float(b), minimum=0.0) for b in base]
        last = np.asarray(state["last_epoch"])
        if last.shape != () or last.dtype.kind not in "iu" or int(last) < 0:
            raise fail(who, "'last_epoch'", "be an integer >= 0", repr(last))
        self.base_lrs, self.last_epoch = base_lrs, int(last)
        self._set(self.lrs_at(self.last_epoch))

    def __repr__(self) -> str:
        base = ", ".join(f"{b:g}" for b in self.base_lrs)
        return f"{type(self).__name__}(base_lr={base}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """Step decay: ``lr = base_lr * gamma ** (epoch // step_size)``; gamma >= 0, step_size >= 1."""

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_int("StepLR", "step_size", step_size)
        self.gamma = _gamma("StepLR", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        return base * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    """Multiply by ``gamma`` at each epoch listed in ``milestones`` (integers >= 1):
    ``lr = base_lr * gamma ** (number of milestones <= epoch)``."""

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1) -> None:
        if isinstance(milestones, str) or not isinstance(milestones, Sequence):
            got = type(milestones).__name__
            raise fail("MultiStepLR", "milestones", "be a list of epochs", got, error=TypeError)
        self.milestones = sorted(
            check_int("MultiStepLR", f"milestones[{i}]", m) for i, m in enumerate(milestones)
        )
        self.gamma = _gamma("MultiStepLR", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        passed = sum(1 for m in self.milestones if m <= epoch)
        return base * self.gamma**passed


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``; gamma >= 0."""

    def __init__(self, optimizer: Any, gamma: float) -> None:
        self.gamma = _gamma("ExponentialLR", gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        return base * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """Cosine from ``base_lr`` down to ``eta_min`` over ``T_max`` epochs, then stays at ``eta_min``:
    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * min(epoch, T_max) / T_max)) / 2``.

    (PyTorch's closed form without restarts; PyTorch keeps following the cosine past ``T_max``,
    which makes the lr rise again; here it is held at ``eta_min``.) T_max: an integer >= 1.
    """

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0) -> None:
        self.T_max = check_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = check_finite_float("CosineAnnealingLR", "eta_min", eta_min, minimum=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        t = min(epoch, self.T_max)
        cosine = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return self.eta_min + (base - self.eta_min) * cosine


class CosineWarmupLR(LRScheduler):
    """nanoGPT's schedule, stepped once per optimiser step (call ``step()`` after each
    ``optimizer.step()``): ``lr = cosine_warmup_lr(it, base_lr, min_lr, warmup_steps, total_steps)``
    with ``it`` = ``last_epoch``, the steps done, and each group's ``base_lr`` as ``max_lr``:

        it <  warmup_steps:                 base_lr * (it + 1) / (warmup_steps + 1)
        warmup_steps <= it <= total_steps:  min_lr + (base_lr - min_lr) * (1 + cos(pi * r)) / 2,
                                            r = (it - warmup_steps) / (total_steps - warmup_steps)
        it >  total_steps:                  min_lr

    warmup_steps >= 0 and total_steps > warmup_steps are integers; min_lr >= 0 (the same for every group).
    """

    def __init__(self, optimizer: Any, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> None:
        who = "CosineWarmupLR"
        self.warmup_steps = check_int(who, "warmup_steps", warmup_steps, minimum=0)
        self.total_steps = check_int(who, "total_steps", total_steps, minimum=self.warmup_steps + 1)
        self.min_lr = check_finite_float(who, "min_lr", min_lr, minimum=0.0)
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        return cosine_warmup_lr(epoch, base, self.min_lr, self.warmup_steps, self.total_steps)


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)`` for any function of the epoch (e.g. a linear warm-up) that
    returns a finite number >= 0 (checked at every step, naming the epoch)."""

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise fail(
                "LambdaLR", "lr_lambda", "be a function of the epoch", repr(lr_lambda), error=TypeError
            )
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def lr_at(self, epoch: int, base_lr: float | None = None) -> float:
        base = self.base_lr if base_lr is None else base_lr
        factor, what = self.lr_lambda(epoch), f"lr_lambda({epoch})"
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
            raise fail("LambdaLR", what, "return a real number", repr(factor), error=TypeError)
        if not (math.isfinite(factor) and factor >= 0):
            raise fail("LambdaLR", what, "return a finite number in [0, inf]", factor)
        return base * float(factor)
