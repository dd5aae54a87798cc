"""tinygrad_np: a NumPy deep-learning framework with every forward and backward in plain sight.

model = tnp.Sequential(tnp.Linear(12288, 20), tnp.ReLU(), tnp.Linear(20, 1), tnp.Sigmoid())
loss = loss_fn(model(x), y); model.backward(loss_fn.backward()); opt.step()
"""

from . import init
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


def __getattr__(name: str) -> object:
    # tinygrad_np.datasets is imported on first use, so `import tinygrad_np` stays numpy-only and fast.
    if name == "datasets":
        import importlib

        return importlib.import_module(".datasets", __name__)
    raise AttributeError(f"module 'tinygrad_np' has no attribute {name!r}")
