"""Tensor: an ndarray that records the operations applied to it, so that ``backward()`` can
differentiate through them (see engine.py for how, ops.py for each operation's math)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..ops import activations as act
from ..ops import elementwise as ew
from ..ops import linear, reduce
from ..ops import shape as shp
from ..validation import fail
from . import engine
from .function import Function

Operand = Any  # a Tensor, an ndarray or a Python number


class Tensor:
    """``Tensor(data, requires_grad=False)``: ``.data`` (an ndarray), ``.grad`` (None or an ndarray
    shaped like data, set by ``backward``), ``.requires_grad``.

    Float arrays keep their dtype; Python numbers and lists become float64 when ``requires_grad``
    (``requires_grad`` on an integer ndarray is a TypeError). Operators broadcast like NumPy and mix
    with ndarrays and Python numbers on either side.
    """

    __slots__ = ("__weakref__", "_ctx", "_retain", "data", "grad", "requires_grad")
    __array_priority__ = 1000  # ndarray + Tensor: NumPy steps aside and Tensor.__radd__ runs
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.data
        a = np.asarray(data)
        if requires_grad and a.dtype.kind != "f":
            if isinstance(data, np.ndarray | np.generic) or a.dtype.kind not in "iu":
                raise fail(
                    "Tensor", "data with requires_grad=True", "be floating-point", f"dtype {a.dtype}",
                    "convert with data.astype(np.float64)", TypeError,
                )  # fmt: skip
            a = a.astype(np.float64)
        self.data: np.ndarray = a
        self.grad: np.ndarray | None = None
        self.requires_grad: bool = bool(requires_grad)
        self._ctx: Function | None = None  # the node that computed this tensor (None for a leaf)
        self._retain: bool = False

    def _wrap(self, data: np.ndarray, ctx: Function | None) -> Tensor:
        """A new Tensor computed by ``ctx`` (None when no graph is recorded)."""
        t = Tensor.__new__(Tensor)
        t.data, t.grad, t._ctx, t._retain = np.asarray(data), None, ctx, False
        t.requires_grad = ctx is not None
        return t

    # -- backward ----------------------------------------------------------------------------------
    def backward(self, grad: Any = None, *, accumulate: bool = False) -> None:
        """Set ``.grad`` on every leaf this tensor depends on to d(self)/d(leaf) (with ``grad``:
        d(sum(self * grad))/d(leaf)), summed over every use, overwriting the previous ``.grad``;
        ``accumulate=True`` adds to it instead (gradient accumulation, as PyTorch's default)."""
        if not self.requires_grad:
            raise RuntimeError(
                "Tensor.backward: the tensor must require grad, got one computed from tensors without "
                "requires_grad=True (or under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise fail(
                    "Tensor.backward", "grad", f"be given for a tensor of shape {self.shape}", "None",
                    "pass backward(grad) with grad of that shape, or reduce first, e.g. t.sum().backward()",
                    RuntimeError,
                )  # fmt: skip
            g = np.ones_like(self.data)
        else:
            g = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
            if g.shape != self.shape:
                raise fail("Tensor.backward", "grad", f"have the tensor's shape {self.shape}", g.shape)
        engine.backward(self, g, accumulate=accumulate)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this intermediate tensor in the next backward (leaves always get it)."""
        self._retain = True
        return self

    def detach(self) -> Tensor:
        """The same data (shared, not copied) outside the graph."""
        return Tensor(self.data)

    # -- array-like --------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> Any:
        if self.data.size != 1:
            raise fail("Tensor.item", "the tensor", "have one element", f"shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        node = f", node={self._ctx.name()}" if self._ctx is not None else ""
        return f"Tensor({np.array2string(self.data, threshold=20)}{grad}{node})"

    # -- operators (each one Function.apply; see ops.py) --------------------------------------------
    def __add__(self, other: Operand) -> Tensor:
        return ew.Add.apply(self, _operand(other))

    def __radd__(self, other: Operand) -> Tensor:
        return ew.Add.apply(_operand(other), self)

    def __sub__(self, other: Operand) -> Tensor:
        return ew.Sub.apply(self, _operand(other))

    def __rsub__(self, other: Operand) -> Tensor:
        return ew.Sub.apply(_operand(other), self)

    def __mul__(self, other: Operand) -> Tensor:
        return ew.Mul.apply(self, _operand(other))

    def __rmul__(self, other: Operand) -> Tensor:
        return ew.Mul.apply(_operand(other), self)

    def __truediv__(self, other: Operand) -> Tensor:
        return ew.Div.apply(self, _operand(other))

    def __rtruediv__(self, other: Operand) -> Tensor:
        return ew.Div.apply(_operand(other), self)

    def __matmul__(self, other: Operand) -> Tensor:
        return linear.MatMul.apply(self, _operand(other))

    def __rmatmul__(self, other: Operand) -> Tensor:
        return linear.MatMul.apply(_operand(other), self)

    def __pow__(self, exponent: float) -> Tensor:
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            raise fail("Tensor **", "the exponent", "be a number", type(exponent).__name__, error=TypeError)
        return ew.Pow.apply(self, exponent)

    def __neg__(self) -> Tensor:
        return ew.Neg.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data
        return shp.GetItem.apply(self, index=index)

    # -- methods -----------------------------------------------------------------------------------
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return reduce.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum; the gradient is split evenly between tied maxima."""
        return reduce.Max.apply(self, axis=axis, keepdims=keepdims)

    def exp(self) -> Tensor:
        return ew.Exp.apply(self)

    def log(self) -> Tensor:
        return ew.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ew.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ew.Abs.apply(self)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        return ew.Clip.apply(self, lo=lo, hi=hi)

    def relu(self) -> Tensor:
        return act.ReLU.apply(self)

    def sigmoid(self) -> Tensor:
        return act.Sigmoid.apply(self)

    def softplus(self) -> Tensor:
        return act.Softplus.apply(self)

    def tanh(self) -> Tensor:
        return act.Tanh.apply(self)

    def reshape(self, *shape: Any) -> Tensor:
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape
        try:
            return shp.Reshape.apply(self, shape=shape)
        except ValueError:
            raise fail("Tensor.reshape", "the new shape", f"hold {self.size} elements", shape) from None

    def transpose(self, *axes: int) -> Tensor:
        axes_ = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], tuple | list) else axes
        return shp.Transpose.apply(self, axes=axes_ or None)

    @property
    def T(self) -> Tensor:
        return shp.Transpose.apply(self, axes=None)


def _operand(x: Any) -> Any:
    """A Tensor or number as it is; anything else (a list, an ndarray) as an ndarray constant."""
    if isinstance(x, Tensor | numbers.Number):
        return x
    return np.asarray(x)
