"""Function: one differentiable operation, in the style of ``torch.autograd.Function``.

A subclass writes two static methods on plain ndarrays::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a          # one gradient per input, at the OUTPUT's shape is fine

and is used as ``Mul.apply(x, y)``. The engine sums broadcast dimensions away, so a backward may
return gradients at the broadcast (output) shape. The ``ctx`` object is the graph node: it holds the
inputs (``ctx.inputs``), ``ctx.needs_input_grad`` and what forward saved; the output Tensor holds ctx.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .grad_mode import is_grad_enabled

# Inputs of these types are constants (no gradient); anything else must be a Tensor.
_CONSTANTS = (numbers.Number, np.ndarray, np.generic)


class Function:
    """Base class of every op and of the layer and loss nodes. See the module docstring."""

    saved_tensors: tuple[Any, ...] = ()
    shape_rule = "broadcast together"  # how two operands' shapes must match (in error messages)

    def __init__(self, inputs: tuple[Any, ...], needs_input_grad: tuple[bool, ...]) -> None:
        self.inputs = inputs  # Tensors and constants, in call order
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *values: Any) -> None:
        self.saved_tensors = values

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError

    def name(self) -> str:
        """The label of this node in ``draw_graph``."""
        return type(self).__name__

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on the inputs' arrays and return a Tensor; record this node in the graph
        only when grad is enabled and some input requires grad. Keyword arguments go to forward."""
        maker = None
        arrays = []
        needs = []
        for x in inputs:
            if isinstance(x, _CONSTANTS):
                arrays.append(x)
                needs.append(False)
            else:
                if maker is None:
                    maker = x
                arrays.append(x.data)
                needs.append(x.requires_grad)
        ctx = cls(inputs, tuple(needs))
        try:
            out = cls.forward(ctx, *arrays, **kwargs)
        except ValueError as e:
            if len(arrays) < 2 or not cls.shape_rule:
                raise
            shapes = " and ".join(str(getattr(a, "shape", ())) for a in arrays)
            raise ValueError(f"{ctx.name()}: the operands' shapes must {cls.shape_rule}, got {shapes}") from e
        record = any(needs) and is_grad_enabled()
        return maker._wrap(out, ctx if record else None)  # type: ignore[union-attr]
