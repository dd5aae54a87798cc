"""Layers and losses as graph nodes: the bridge between the Layer objects and the autograd engine.

``layer(Tensor)`` records ONE node. Its forward is ``layer.forward(x.data)``; the cache that forward
left on the layer is moved into the node, so the same layer object can be used many times in one
graph (weight sharing, recurrence): each use keeps its own cache. Its backward puts that cache back,
calls ``layer.backward``, and returns dL/dx plus the gradient of each of the layer's Parameters (the
node's other inputs). Each parameter gradient is taken off ``p.grad`` (which is set to None) so that a
second use of the layer writes a fresh buffer; the engine sums the uses and sets ``p.grad`` once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .parameter import Parameter


class LayerNode(Function):
    """One call of a layer in a graph. Inputs: (x, *layer.parameters())."""

    shape_rule = ""  # the layer's own errors say what is wrong
    layer: Any  # set by forward: the layer, and the cache its forward left for this call
    cache: Any

    def name(self) -> str:
        return type(self.layer).__name__

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, *params: np.ndarray, layer: Any = None) -> np.ndarray:
        y = layer.forward(x)
        ctx.layer, ctx.cache = layer, layer._cache  # this call's cache lives in the node ...
        layer._cache = None  # ... not on the layer (no_grad: dropped with the node)
        return y

    @staticmethod
    def backward(ctx: Any, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        layer = ctx.layer
        layer._cache = ctx.cache
        try:
            gx = layer.backward(g, input_grad=ctx.needs_input_grad[0])
        finally:
            layer._cache = None
        grads = [gx]
        for p, needs in zip(ctx.inputs[1:], ctx.needs_input_grad[1:], strict=True):
            grads.append(p.grad if needs else None)
            p.grad = None  # the engine sets p.grad to the sum over this layer's uses
        return tuple(grads)


def layer_node(layer: Any, x: Tensor) -> Tensor:
    """``layer(x)`` for a Tensor ``x``, recorded as one node."""
    if next(iter(layer.named_children()), None) is None:  # the usual leaf layer: no tree walk
        params = [v for v in vars(layer).values() if isinstance(v, Parameter)]
    else:
        params = layer.parameters()
    return LayerNode.apply(x, *params, layer=layer)
