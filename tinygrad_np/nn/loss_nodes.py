"""Losses as graph nodes: ``loss_fn(Tensor, target)`` returns a 0-d Tensor.

The node's backward is the loss's own ``backward()`` with the cache captured for that call. One rule,
written out here and nowhere else: when the prediction is the output of a ``Sigmoid`` layer node and
the loss has ``logit_grad()`` (``BCELoss``), the node is recorded from the Sigmoid's *input* z, with
dL/dz = ``loss.logit_grad()`` = (p - y)/N: the same value as going through the Sigmoid, without
dividing by p (1 - p) and multiplying back (exact where p (1 - p) underflows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from .activations import Sigmoid
from .graph import LayerNode


class LossNode(Function):
    """loss(pred, target) as a node with one input, pred."""

    shape_rule = ""
    loss: Any  # set by forward: the loss, and the cache its forward left for this call
    cache: Any

    def name(self) -> str:
        return type(self.loss).__name__

    @staticmethod
    def forward(ctx: Any, pred: np.ndarray, loss: Any = None, target: Any = None) -> np.ndarray:
        value = loss.forward(pred, target)
        ctx.loss, ctx.cache = loss, loss._cache
        loss._cache = None
        return np.asarray(value, dtype=pred.dtype)

    @staticmethod
    def gradient(ctx: Any) -> np.ndarray:
        return ctx.loss.backward()

    @classmethod
    def backward(cls, ctx: Any, g: np.ndarray) -> tuple[np.ndarray]:
        loss = ctx.loss
        loss._cache = ctx.cache
        try:
            d = cls.gradient(ctx)
        finally:
            loss._cache = None
        return (d if g == 1 else d * g,)


class SigmoidLossNode(LossNode):
    """Sigmoid + BCELoss fused: one input, the Sigmoid's input z; gradient ``loss.logit_grad()``."""

    def name(self) -> str:
        return f"Sigmoid+{type(self.loss).__name__}"

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, z: np.ndarray, p: Any = None, loss: Any = None, target: Any = None
    ) -> np.ndarray:
        return LossNode.forward(ctx, p, loss=loss, target=target)

    @staticmethod
    def gradient(ctx: Any) -> np.ndarray:
        return ctx.loss.logit_grad()


def loss_node(loss: Any, pred: Tensor, target: Any) -> Tensor:
    """``loss(pred, target)`` for a Tensor ``pred``: a 0-d Tensor (see the module docstring for the rule)."""
    if isinstance(target, Tensor):
        target = target.data
    ctx = pred._ctx
    if type(ctx) is LayerNode and isinstance(ctx.layer, Sigmoid) and hasattr(loss, "logit_grad"):
        return SigmoidLossNode.apply(ctx.inputs[0], p=pred.data, loss=loss, target=target)
    return LossNode.apply(pred, loss=loss, target=target)
