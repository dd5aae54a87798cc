"""tinygrad_np: a NumPy deep-learning framework with every forward and backward in plain sight.

model = tnp.Sequential(tnp.Linear(12288, 20), tnp.ReLU(), tnp.Linear(20, 1), tnp.Sigmoid())
loss = loss_fn(model(x), y); model.backward(loss_fn.backward()); opt.step()

Graphs: ``Tensor`` records operations for ``backward()`` (``autograd``); layers, losses and ``Module``
subclasses accept Tensors and become graph nodes; ``functional`` holds Tensor functions (``F.relu``...).

Layout: ``nn`` (Parameter, Layer tree, layers, losses, init), ``optim`` (optimisers, schedules),
``data`` (mini-batches; ``data.datasets`` loads the examples' data), ``train`` (fit, callbacks,
checkpoints), and the small modules ``serialization``, ``metrics``, ``gradcheck``, ``validation``.
"""

from numpy import float32, float64, int64  # for t.to(tnp.float32), as torch.float32

from . import (  # export: onnx/torch are imported only when a conversion runs
    export,
    functional,
    metrics,
    optim,
    random,
)
from .autograd import (
    Function,
    Tensor,
    cat,
    draw_graph,
    enable_grad,
    no_grad,
    ones,
    randn,
    stack,
    tensor,
    tril,
    triu,
    where,
    zeros,
)
from .data import BatchIterator, epoch_batches, minibatches
from .gradcheck import GradcheckReport, gradcheck
from .nn import (
    GELU,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCELoss,
    BCEWithLogitsLoss,
    Conv2d,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    Layer,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    Loss,
    MaxPool2d,
    Module,
    ModuleList,
    MSELoss,
    MultiheadAttention,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    StateDictKeyError,
    Tanh,
    init,
)
from .optim import SGD, Adam, AdamW, Optimizer
from .random import manual_seed
from .serialization import load, save
from .train import (
    Callback,
    CheckpointError,
    EarlyStopping,
    History,
    ModelCheckpoint,
    TrainingDivergedError,
    fit,
    load_checkpoint,
    load_weights,
)

__version__ = "0.2.0"

__all__ = [
    "GELU",
    "SGD",
    "Adam",
    "AdamW",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchIterator",
    "BatchNorm1d",
    "BatchNorm2d",
    "Callback",
    "CheckpointError",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "EarlyStopping",
    "Embedding",
    "Flatten",
    "Function",
    "GradcheckReport",
    "History",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "Loss",
    "MSELoss",
    "MaxPool2d",
    "ModelCheckpoint",
    "Module",
    "ModuleList",
    "MultiheadAttention",
    "Optimizer",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "StateDictKeyError",
    "Tanh",
    "Tensor",
    "TrainingDivergedError",
    "cat",
    "datasets",
    "draw_graph",
    "enable_grad",
    "epoch_batches",
    "export",
    "fit",
    "float32",
    "float64",
    "functional",
    "gradcheck",
    "init",
    "int64",
    "load",
    "load_checkpoint",
    "load_weights",
    "manual_seed",
    "metrics",
    "minibatches",
    "no_grad",
    "ones",
    "optim",
    "randn",
    "random",
    "save",
    "stack",
    "tensor",
    "tril",
    "triu",
    "where",
    "zeros",
]


def __getattr__(name: str) -> object:
    # tnp.datasets is tinygrad_np.data.datasets, imported on first use so that `import tinygrad_np`
    # stays numpy-only and fast.
    if name == "datasets":
        import importlib

        return importlib.import_module(".data.datasets", __name__)
    from .validation import fail

    rule = "be one of the package's names (dir(tinygrad_np) lists them)"
    raise fail("tinygrad_np", "an attribute", rule, repr(name), error=AttributeError)
