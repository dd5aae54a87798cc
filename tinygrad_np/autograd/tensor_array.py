"""What a Tensor has in common with an ndarray (and with ``torch.Tensor``) that records no graph: its
shape and size, conversion to NumPy, comparisons and logic (boolean Tensors), argmax/argmin (int64
Tensors). ``Tensor`` (tensor.py) inherits these and adds everything differentiable."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..validation import fail
from . import tensor_args as args

Flag = bool | None  # keepdim: None is False unless NumPy's keepdims is given


class ArrayMethods:
    """The mixin of ``Tensor`` for the methods without gradient (see the module docstring)."""

    __slots__ = ()
    data: np.ndarray

    def _wrap(self, data: np.ndarray, ctx: Any) -> Any:  # a new Tensor (ctx None: outside the graph)
        raise NotImplementedError

    # -- shape and size ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> args.Size:
        """The number of elements (NumPy's ``size``); ``t.size()`` is the shape and ``t.size(d)`` the
        length of dim d, as PyTorch."""
        return args.Size(self.data.shape)

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    # -- conversion --------------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """``np.asarray(t)`` is ``t.data`` (a copy only for another dtype or with ``copy=True``)."""
        return np.array(self.data, dtype=dtype, copy=copy)

    def item(self) -> Any:
        if self.data.size != 1:
            raise fail("Tensor.item", "the tensor", "have one element", f"shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise fail("Tensor", "a tensor used as True or False", "have one element", f"shape {self.shape}",
                       "use t.data.any() or t.data.all()")  # fmt: skip
        return bool(self.data)

    # -- comparisons and logic: boolean Tensors. == is element-wise (as in PyTorch and NumPy), so
    # Tensors are hashed by identity: Parameters stay dict keys (optimiser state) and set members.
    # `t in a_list` compares element-wise (as in PyTorch): look Tensors up in a dict or set instead.
    __hash__ = object.__hash__

    def __eq__(self, other: Any) -> Any:
        return self._logic(np.equal, other)

    def __ne__(self, other: Any) -> Any:
        return self._logic(np.not_equal, other)

    def __lt__(self, other: Any) -> Any:
        return self._logic(np.less, other)

    def __le__(self, other: Any) -> Any:
        return self._logic(np.less_equal, other)

    def __gt__(self, other: Any) -> Any:
        return self._logic(np.greater, other)

    def __ge__(self, other: Any) -> Any:
        return self._logic(np.greater_equal, other)

    def __and__(self, other: Any) -> Any:
        return self._logic(np.bitwise_and, other)

    def __or__(self, other: Any) -> Any:
        return self._logic(np.bitwise_or, other)

    __rand__, __ror__ = __and__, __or__

    def __invert__(self) -> Any:
        return self._wrap(np.invert(self.data), None)

    def _logic(self, op: np.ufunc, other: Any) -> Any:
        if isinstance(other, ArrayMethods):
            other = other.data
        elif not isinstance(other, numbers.Number | np.ndarray | np.generic | list | tuple):
            return NotImplemented  # so t == None is False
        return self._wrap(op(self.data, other), None)

    # -- indices of extremes -----------------------------------------------------------------------
    def argmax(
        self, dim: Any = None, keepdim: Flag = None, *, axis: Any = None, keepdims: Flag = None
    ) -> Any:
        """Indices (int64, no grad) of the maxima along ``dim`` (one int; None: of the flattened tensor)."""
        return self._arg(np.argmax, "Tensor.argmax", dim, keepdim, axis, keepdims)

    def argmin(
        self, dim: Any = None, keepdim: Flag = None, *, axis: Any = None, keepdims: Flag = None
    ) -> Any:
        return self._arg(np.argmin, "Tensor.argmin", dim, keepdim, axis, keepdims)

    def _arg(self, find: Any, who: str, dim: Any, keepdim: Flag, axis: Any, keepdims: Flag) -> Any:
        settings = args.reduction(who, self.ndim, dim, keepdim, axis, keepdims)
        if isinstance(settings["axis"], tuple):
            rule, fix = "be one int or None", "amax/amin reduce over several dims"
            raise fail(who, "dim", rule, dim if axis is None else axis, fix, TypeError)
        return self._wrap(find(self.data, **settings).astype(np.int64, copy=False), None)
