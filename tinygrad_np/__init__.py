"""tinygrad_np: a NumPy deep-learning framework with every forward and backward in plain sight.

model = tnp.Sequential(tnp.Linear(12288, 20), tnp.ReLU(), tnp.Linear(20, 1), tnp.Sigmoid())
loss = loss_fn(model(x), y); model.backward(loss_fn.backward()); opt.step()
"""

from . import datasets, init
from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .gradcheck import GradcheckReport, gradcheck
from .layer import Layer
from .linear import Linear
from .losses import BCELoss, BCEWithLogitsLoss, Loss, MSELoss
from .optim import SGD, Optimizer
from .parameter import Parameter
from .sequential import Sequential
from .serialization import load, save

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "BCELoss",
    "BCEWithLogitsLoss",
    "GradcheckReport",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Loss",
    "MSELoss",
    "Optimizer",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "datasets",
    "gradcheck",
    "init",
    "load",
    "save",
]
