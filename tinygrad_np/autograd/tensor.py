"""Tensor: an ndarray that records the operations applied to it, so that ``backward()`` can
differentiate through them (see engine.py for how, tinygrad_np/ops for each operation's math).
The free functions (``tnp.cat``, ``stack``, ``where``, ``tril``...) are in tensor_functions.py."""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np

from ..ops import activations as act
from ..ops import elementwise as ew
from ..ops import linear, reduce
from ..ops import shape as shp
from ..validation import fail
from . import engine
from . import tensor_args as args
from .function import Function
from .tensor_array import ArrayMethods, Flag
from .tensor_methods import TransformerMethods

Operand = Any  # a Tensor, an ndarray or a Python number
Real = float  # (inside Tensor, `float` is the method t.float())


class Tensor(TransformerMethods, ArrayMethods):
    """``Tensor(data, requires_grad=False)``: ``.data`` (an ndarray), ``.grad`` (None or an ndarray
    shaped like data, set by ``backward``), ``.requires_grad``.

    Float arrays keep their dtype; Python numbers and lists become float64 when ``requires_grad``
    (``requires_grad`` on an integer ndarray is a TypeError, when built or set later); data that is not
    numbers (strings, Python objects) is a TypeError. Operators broadcast like NumPy and mix with
    ndarrays and Python numbers on either side. Methods take PyTorch's arguments (``dim``,
    ``keepdim``; NumPy's ``axis``, ``keepdims`` also work); ``np.asarray(t)`` is ``t.data``.
    Comparisons give boolean Tensors; ``==`` is element-wise, so Tensors are hashed by identity.

    ``_version`` counts the library's in-place changes (optimiser steps, ``load_state_dict``...):
    backward raises a RuntimeError naming the tensor and the op if an array the op saved was changed
    since forward, as PyTorch. Writes into ``.data`` (``t.data[...] = 0``) are not counted or checked:
    the escape hatch, as in PyTorch (see docs/autodiff.md).
    """

    __slots__ = ("__weakref__", "_ctx", "_requires_grad", "_retain", "_version", "data", "grad")
    __array_priority__ = 1000  # ndarray + Tensor: NumPy steps aside and Tensor.__radd__ runs
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.data
        a = args.numeric("Tensor", "data", data, "hold numbers (bool, int, float or complex)")
        if requires_grad and a.dtype.kind in "iu" and not isinstance(data, np.ndarray | np.generic):
            a = a.astype(np.float64)  # Tensor([1, 2], requires_grad=True) as Tensor([1.0, 2.0], ...)
        self.data: np.ndarray = a
        self.grad: np.ndarray | None = None
        self._ctx: Function | None = None  # the node that computed this tensor (None for a leaf)
        self._retain: bool = False
        self._version: int = 0  # bumped by the library's in-place changes (see the class docstring)
        self.requires_grad = requires_grad

    def _wrap(self, data: np.ndarray, ctx: Function | None) -> Tensor:
        """A new Tensor computed by ``ctx`` (None when no graph is recorded)."""
        t = Tensor.__new__(Tensor)
        t.data, t.grad, t._ctx, t._retain, t._version = np.asarray(data), None, ctx, False, 0
        t._requires_grad = ctx is not None
        return t

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag and self.data.dtype.kind != "f":
            raise fail("Tensor", "data with requires_grad=True", "be floating-point", f"dtype {self.dtype}",
                       "convert first, e.g. t.double() or data.astype(np.float64)", TypeError)  # fmt: skip
        if not flag and self._ctx is not None:
            raise fail("Tensor.requires_grad", "the tensor", "be a leaf to turn requires_grad off",
                       f"one computed by {self._ctx.name()}", "use t.detach()", RuntimeError)  # fmt: skip
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return the tensor (floating-point tensors only)."""
        self.requires_grad = requires_grad
        return self

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

    # -- array-like: shape, size, numpy(), np.asarray(t), comparisons, argmax are in ArrayMethods --
    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self.requires_grad else ""
        node = f", node={self._ctx.name()}" if self._ctx is not None else ""
        return f"Tensor({np.array2string(self.data, threshold=20)}{grad}{node})"

    # -- dtype: float()/double()/to(float dtype) are differentiable (Cast); to(int dtype) has no grad --
    def to(self, dtype: Any) -> Tensor:
        d = args.as_dtype("Tensor.to", dtype)
        if d.kind not in args.NUMERIC:
            raise fail("Tensor.to", "dtype", "be a numeric NumPy dtype, e.g. np.float32", d, error=TypeError)
        return ew.Cast.apply(self, dtype=d) if d.kind == "f" else self._wrap(self.data.astype(d), None)

    def float(self) -> Tensor:
        return ew.Cast.apply(self, dtype=np.dtype(np.float32))

    def double(self) -> Tensor:
        return ew.Cast.apply(self, dtype=np.dtype(np.float64))

    # -- arithmetic (each one Function.apply; see tinygrad_np/ops) --------------------------------------
    def __add__(self, other: Operand) -> Tensor:
        return ew.Add.apply(self, operand(other, "Tensor +"))

    def __radd__(self, other: Operand) -> Tensor:
        return ew.Add.apply(operand(other, "Tensor +"), self)

    def __sub__(self, other: Operand) -> Tensor:
        return ew.Sub.apply(self, operand(other, "Tensor -"))

    def __rsub__(self, other: Operand) -> Tensor:
        return ew.Sub.apply(operand(other, "Tensor -"), self)

    def __mul__(self, other: Operand) -> Tensor:
        return ew.Mul.apply(self, operand(other, "Tensor *"))

    def __rmul__(self, other: Operand) -> Tensor:
        return ew.Mul.apply(operand(other, "Tensor *"), self)

    def __truediv__(self, other: Operand) -> Tensor:
        return ew.Div.apply(self, operand(other, "Tensor /"))

    def __rtruediv__(self, other: Operand) -> Tensor:
        return ew.Div.apply(operand(other, "Tensor /"), self)

    def __matmul__(self, other: Operand) -> Tensor:
        return linear.MatMul.apply(self, operand(other, "Tensor @"))

    def __rmatmul__(self, other: Operand) -> Tensor:
        return linear.MatMul.apply(operand(other, "Tensor @"), self)

    def __pow__(self, exponent: Real) -> Tensor:
        if isinstance(exponent, bool) or not isinstance(exponent, numbers.Real):
            raise fail("Tensor **", "the exponent", "be a number", type(exponent).__name__, error=TypeError)
        if exponent < 0 and self.data.dtype.kind in "biu" and isinstance(exponent, numbers.Integral):
            rule = "be >= 0 (NumPy has no negative integer powers of integers)"
            fix = "use a float tensor, e.g. t.double() ** -1"
            raise fail("Tensor **", "the exponent of an integer tensor", rule, exponent, fix)
        return ew.Pow.apply(self, exponent)

    def __neg__(self) -> Tensor:
        return ew.Neg.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return shp.GetItem.apply(self, index=index.data if isinstance(index, Tensor) else index)

    # -- reductions: dim (an int, a tuple, None for all), keepdim (NumPy's names axis, keepdims too) --
    def sum(
        self, dim: Any = None, keepdim: Flag = None, *, axis: Any = None, keepdims: Flag = None
    ) -> Tensor:
        return reduce.Sum.apply(self, **args.reduction("Tensor.sum", self.ndim, dim, keepdim, axis, keepdims))

    def mean(
        self, dim: Any = None, keepdim: Flag = None, *, axis: Any = None, keepdims: Flag = None
    ) -> Tensor:
        return reduce.Mean.apply(
            self, **args.reduction("Tensor.mean", self.ndim, dim, keepdim, axis, keepdims)
        )

    def max(self, dim: Any = None, keepdim: Flag = None, *, axis: Any = None, keepdims: Flag = None) -> Any:
        """The maximum; given ``dim`` (one int), PyTorch's named tuple ``(values, indices)``. NumPy's
        ``axis=`` gives the values only, as ``amax``. The gradient is split evenly between ties."""
        return self._extreme(reduce.Max, np.argmax, "Tensor.max", dim, keepdim, axis, keepdims)

    def min(self, dim: Any = None, keepdim: Flag = None, *, axis: Any = None, keepdims: Flag = None) -> Any:
        """The minimum, as ``max``."""
        return self._extreme(reduce.Min, np.argmin, "Tensor.min", dim, keepdim, axis, keepdims)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return reduce.Max.apply(self, **args.reduction("Tensor.amax", self.ndim, dim, keepdim, None, None))

    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return reduce.Min.apply(self, **args.reduction("Tensor.amin", self.ndim, dim, keepdim, None, None))

    def _extreme(
        self, fn: Any, find: Any, who: str, dim: Any, keepdim: Flag, axis: Any, keepdims: Flag
    ) -> Any:
        values = fn.apply(self, **args.reduction(who, self.ndim, dim, keepdim, axis, keepdims))
        if dim is None:
            return values
        return ValuesIndices(values, self._arg(find, who, dim, keepdim, None, keepdims))

    # -- unary maths -------------------------------------------------------------------------------
    def exp(self) -> Tensor:
        return ew.Exp.apply(self)

    def log(self) -> Tensor:
        return ew.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ew.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ew.Abs.apply(self)

    def clip(self, lo: Real | None = None, hi: Real | None = None) -> Tensor:
        return ew.Clip.apply(self, lo=lo, hi=hi)

    def relu(self) -> Tensor:
        return act.ReLUFunction.apply(self)

    def sigmoid(self) -> Tensor:
        return act.SigmoidFunction.apply(self)

    def softplus(self) -> Tensor:
        return act.Softplus.apply(self)

    def tanh(self) -> Tensor:
        return act.TanhFunction.apply(self)

    def masked_fill(self, mask: Any, value: Operand) -> Tensor:
        """``value`` where the boolean ``mask`` (broadcast to this shape) is True, this tensor elsewhere."""
        return ew.Where.apply(
            args.mask("Tensor.masked_fill", mask), operand(value, "Tensor.masked_fill", "value"), self
        )

    # -- shape: reshape/view/squeeze/unsqueeze/flatten are Reshape; transpose/permute/.T/.mT Transpose --
    def reshape(self, *shape: Any) -> Tensor:
        shape = args.shape(shape)
        try:
            return shp.Reshape.apply(self, shape=shape)
        except ValueError:
            raise fail("Tensor.reshape", "the new shape", f"hold {self.numel()} elements", shape) from None

    def view(self, *shape: Any) -> Tensor:
        """As ``reshape`` (NumPy copies where PyTorch's view would raise)."""
        return self.reshape(*shape)

    def squeeze(self, dim: Any = None) -> Tensor:
        """Drop the size-1 dims (all, or those among ``dim``: an int or a tuple; others stay)."""
        return shp.Reshape.apply(self, shape=args.squeezed("Tensor.squeeze", self.shape, dim))

    def unsqueeze(self, dim: int) -> Tensor:
        return shp.Reshape.apply(self, shape=args.unsqueezed("Tensor.unsqueeze", self.shape, dim))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return shp.Reshape.apply(self, shape=args.flattened("Tensor.flatten", self.shape, start_dim, end_dim))

    def expand(self, *sizes: Any) -> Tensor:
        """A read-only broadcast view: -1 keeps a dim, a size-1 dim grows, new dims go in front."""
        return shp.Expand.apply(self, shape=args.expanded("Tensor.expand", self.shape, args.shape(sizes)))

    def transpose(self, *dims: int) -> Tensor:
        """Swap two dims, as ``torch.transpose(t, dim0, dim1)``."""
        if len(dims) != 2:
            raise fail("Tensor.transpose", "the dims", "be two dims to swap", dims,
                       "permute(*dims) takes any order, and .T reverses the dims", TypeError)  # fmt: skip
        return shp.Transpose.apply(self, axes=args.swapped("Tensor.transpose", *dims, self.ndim))

    def permute(self, *dims: int) -> Tensor:
        return shp.Transpose.apply(self, axes=args.permutation("Tensor.permute", args.shape(dims), self.ndim))

    @property
    def T(self) -> Tensor:
        """The dims reversed."""
        return shp.Transpose.apply(self, axes=None)

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (a batch of matrices transposed)."""
        if self.ndim < 2:
            raise fail("Tensor.mT", "the tensor", "have at least 2 dims", f"shape {self.shape}")
        return self.transpose(-2, -1)


class ValuesIndices(NamedTuple):
    """What ``max(dim)``/``min(dim)`` return, as PyTorch: ``.values`` (with grad) and ``.indices``."""

    values: Tensor
    indices: Tensor


def operand(x: Any, who: str = "Tensor", what: str = "the other operand") -> Any:
    """A Tensor or number as it is; anything else (a list, an ndarray) as an ndarray constant, which
    must hold numbers (a TypeError naming ``who`` otherwise)."""
    if isinstance(x, Tensor | numbers.Number):
        return x
    return args.numeric(who, what, x, "be a number, an array of numbers or a Tensor")
