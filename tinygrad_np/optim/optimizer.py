"""Optimizer: the base class. State is kept per Parameter object, never by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..parameter import Parameter


class Optimizer:
    """Holds the parameters to update, the learning rate ``lr`` (schedules change it) and ``state``,
    a dict keyed by the Parameter objects themselves."""

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params: list[Parameter] = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{type(self).__name__}: item {i} is a {type(p).__name__}, not a Parameter "
                    "(pass model.parameters())"
                )
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{type(self).__name__}: a parameter appears more than once")
        if not lr >= 0:
            raise ValueError(f"{type(self).__name__}: lr must be >= 0, got {lr}")
        self.lr = float(lr)
        self.state: dict[Parameter, dict[str, Any]] = {}

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every parameter's grad to None (backward overwrites it anyway)."""
        for p in self.params:
            p.grad = None

    def _grads(self) -> Iterable[tuple[Parameter, np.ndarray]]:
        for p in self.params:
            if p.grad is not None:
                yield p, p.grad

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} parameters)"
