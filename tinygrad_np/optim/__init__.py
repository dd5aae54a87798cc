"""Optimisers: each keeps its state per Parameter object."""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Optimizer"]
