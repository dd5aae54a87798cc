"""Building blocks: Parameter, the Layer tree, layers, losses, initialisers.

Every layer has a ``forward`` that caches what its ``backward`` needs; ``Sequential`` chains them.
"""

from . import init
from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .builders import linear_sizes, mlp
from .dropout import Dropout
from .layer import Layer, StateDictKeyError
from .linear import Linear
from .losses import BCELoss, BCEWithLogitsLoss, Loss, MSELoss
from .module import Module, ModuleList
from .parameter import Parameter
from .sequential import Sequential

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "Dropout",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Loss",
    "MSELoss",
    "Module",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "StateDictKeyError",
    "Tanh",
    "init",
    "linear_sizes",
    "mlp",
]
