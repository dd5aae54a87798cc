"""Optimisers: each keeps its state per Parameter object."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .factory import OPTIMIZERS, make_optimizer
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, MultiStepLR, StepLR
from .optimizer import Optimizer
from .sgd import SGD

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "Optimizer",
    "StepLR",
    "lr_scheduler",
    "make_optimizer",
]
