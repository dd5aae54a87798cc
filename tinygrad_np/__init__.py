"""tinygrad_np: a NumPy deep-learning framework with every forward and backward in plain sight.

model = tnp.Sequential(tnp.Linear(12288, 20), tnp.ReLU(), tnp.Linear(20, 1), tnp.Sigmoid())
loss = loss_fn(model(x), y); model.backward(loss_fn.backward()); opt.step()
"""

from . import init, metrics
from .activations import LeakyReLU, ReLU, Sigmoid, Tanh
from .callbacks import Callback, EarlyStopping, ModelCheckpoint
from .checkpoint import load_checkpoint, load_weights
from .data import BatchIterator, minibatches
from .dropout import Dropout
from .gradcheck import GradcheckReport, gradcheck
from .layer import Layer
from .linear import Linear
from .losses import BCELoss, BCEWithLogitsLoss, Loss, MSELoss
from .optim import SGD, Adam, AdamW, Optimizer
from .parameter import Parameter
from .sequential import Sequential
from .serialization import load, save
from .training import History, TrainingDivergedError, fit

__version__ = "0.1.0"

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchIterator",
    "Callback",
    "Dropout",
    "EarlyStopping",
    "GradcheckReport",
    "History",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Loss",
    "MSELoss",
    "ModelCheckpoint",
    "Optimizer",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "TrainingDivergedError",
    "datasets",
    "fit",
    "gradcheck",
    "init",
    "load",
    "load_checkpoint",
    "load_weights",
    "metrics",
    "minibatches",
    "save",
]


def __getattr__(name: str) -> object:
    # tinygrad_np.datasets is imported on first use, so `import tinygrad_np` stays numpy-only and fast.
    if name == "datasets":
        import importlib

        return importlib.import_module(".datasets", __name__)
    raise AttributeError(f"module 'tinygrad_np' has no attribute {name!r}")
