"""Module: a Layer whose forward is written with Tensors; ModuleList: a list of layers.

    class Residual(tnp.Module):
        def __init__(self, width, rng):
            super().__init__()
            self.fc = tnp.Linear(width, width, rng=rng)
            self.act = tnp.ReLU()
        def forward(self, h):
            return h + self.fc(self.act(self.fc(h)))    # self.fc used twice: gradients summed

Attributes that are Layers, Modules, ModuleLists or Parameters form the tree (dotted names such as
"fc.weight", "blocks.0.fc.bias", each shared Parameter once). A Module is a Layer: on an ndarray it
records the graph from a Tensor wrapping x, returns an ndarray, and ``backward(grad_out)`` runs the
engine from the output, so it fits in Sequential, fit(), gradcheck() and save/load unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from .container import LayerList
from .layer import Layer


class Module(Layer):
    """Subclass it: call ``super().__init__()``, assign layers and Parameters, write ``forward``
    taking and returning Tensors."""

    def forward(self, x: Any) -> Any:
        raise NotImplementedError(f"{self._name()}: define forward(self, x) using Tensors")

    def __call__(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(x, Tensor):
            return self.forward(x, *args, **kwargs)  # part of a larger graph
        # The array path, as any Layer: record this call's graph and keep its ends for backward.
        xt = Tensor(self._check_input(x), requires_grad=True)
        out = self.forward(xt, *args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{self._name()}.forward must return a Tensor, got a {type(out).__name__}")
        self._cache = (xt, out) if out.requires_grad else None  # None under no_grad()
        return out.data

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate ``grad_out`` = dloss/doutput through the graph of the last call: sets ``.grad``
        on the parameters, returns dloss/dx if ``input_grad``."""
        xt, out = self._cached()
        out.backward(self._check_grad(grad_out, out.shape))
        return xt.grad if input_grad else None


class ModuleList(LayerList):
    """A list of layers, registered as children "0", "1", ... (for Modules with a variable number
    of blocks). It is a container: call its items, not the list."""

    def forward(self, x: Any) -> Any:
        raise TypeError("ModuleList: a ModuleList is not callable; call its items: for b in blocks: x = b(x)")
