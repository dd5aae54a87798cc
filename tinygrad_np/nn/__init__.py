"""Building blocks: Parameter, the Layer tree, layers, losses, initialisers.

Every layer has a ``forward`` that caches what its ``backward`` needs; ``Sequential`` chains them.
"""

from . import init
from .activations import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from .attention import MultiheadAttention
from .builders import initialize, linear_sizes, mlp
from .container import ModuleList, Sequential
from .conv import Conv2d
from .cross_entropy import CrossEntropyLoss
from .dropout import Dropout
from .embedding import Embedding
from .layernorm import LayerNorm
from .linear import Linear
from .losses import BCELoss, BCEWithLogitsLoss, Loss, MSELoss
from .module import Layer, Module
from .normalization import BatchNorm1d, BatchNorm2d
from .parameter import Parameter
from .pooling import AvgPool2d, MaxPool2d
from .shape import Flatten
from .softmax import LogSoftmax, Softmax
from .state_dict import StateDictKeyError

__all__ = [
    "GELU",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Embedding",
    "Flatten",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "Loss",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "MultiheadAttention",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "StateDictKeyError",
    "Tanh",
    "init",
    "initialize",
    "linear_sizes",
    "mlp",
]
