"""Optimisers (each keeps its state per Parameter object, its settings per parameter group), learning-rate
schedules and gradient clipping."""

from . import lr_scheduler
from .adam import Adam, AdamW
from .clip import clip_grad_norm_
from .factory import OPTIMIZERS, make_optimizer
from .lr_scheduler import (
    CosineAnnealingLR,
    CosineWarmupLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    MultiStepLR,
    StepLR,
    cosine_warmup_lr,
)
from .optimizer import Optimizer
from .sgd import SGD

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "CosineWarmupLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "Optimizer",
    "StepLR",
    "clip_grad_norm_",
    "cosine_warmup_lr",
    "lr_scheduler",
    "make_optimizer",
]
