"""Optimisers by name, for command lines and experiments: the one switch from a name to a class."""

from __future__ import annotations

from collections.abc import Iterable

from ..nn.parameter import Parameter
from ..validation import fail
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

OPTIMIZERS = ("sgd", "adam", "adamw")


def make_optimizer(
    name: str, params: Iterable[Parameter], lr: float, *, momentum: float = 0.0, weight_decay: float = 0.0
) -> Optimizer:
    """ "sgd" (with optional momentum; weight decay as L2), "adam" (L2 added to the gradient) or
    "adamw" (decoupled decay)."""
    if name == "sgd":
        return SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name not in OPTIMIZERS:
        raise fail("make_optimizer", "name", f"be one of {OPTIMIZERS}", name)
    if momentum:
        raise fail("make_optimizer", "momentum", f"be 0 for {name} (it has its own betas)", momentum)
    cls = Adam if name == "adam" else AdamW
    return cls(params, lr=lr, weight_decay=weight_decay)
