"""The Tensor API's argument rules, in PyTorch's spelling first: dims (``dim``, or NumPy's ``axis``),
``keepdim`` (or ``keepdims``), shapes given as ``f(2, 3)`` or ``f((2, 3))``, dtypes, masks. Plain
functions on ints, tuples and arrays: no Tensor here (tensor.py and tensor_functions.py import this)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..validation import check_int, fail

Dims = int | tuple[int, ...] | None
NUMERIC = "biufc"  # the dtype kinds a Tensor holds: bool, int, unsigned, float, complex


def alias(who: str, name: str, value: Any, numpy_name: str, numpy_value: Any) -> Any:
    """The argument given as ``name`` (PyTorch's) or as ``numpy_name`` (NumPy's), never both."""
    if numpy_value is None:
        return value
    if value is not None:
        got = f"{name}={value!r} and {numpy_name}={numpy_value!r}"
        rule = f"be given once ({numpy_name} is NumPy's name for {name})"
        raise fail(who, name, rule, got, f"pass {name} only", TypeError)
    return numpy_value


def dim(who: str, d: Any, ndim: int, what: str = "dim") -> int:
    """``d`` as a dim of an ``ndim``-d tensor, in [0, ndim) (negative ``d`` counts from the end)."""
    if isinstance(d, bool) or not isinstance(d, numbers.Integral):
        raise fail(who, what, "be an integer", d, error=TypeError)
    d = int(d)
    if not -ndim <= d < ndim:
        raise fail(who, what, f"lie in [{-ndim}, {ndim - 1}] for a {ndim}-d tensor", d)
    return d % ndim


def dims(who: str, d: Any, ndim: int) -> Dims:
    """``d`` (an int, a tuple or list of distinct ints, or None for every dim) checked and made
    non-negative."""
    if d is None or isinstance(d, numbers.Integral):
        return None if d is None else dim(who, d, ndim)
    if not isinstance(d, tuple | list) or not d:
        raise fail(who, "dim", "be an int, a non-empty tuple of ints or None (every dim)", d, error=TypeError)
    out = tuple(dim(who, x, ndim) for x in d)
    if len(set(out)) != len(out):
        raise fail(who, "dim", "name each dim once", d)
    return out


def reduction(who: str, ndim: int, d: Any, keepdim: Any, axis: Any, keepdims: Any) -> dict[str, Any]:
    """The settings ``axis=``, ``keepdims=`` of a reduction Function from the PyTorch or NumPy names."""
    d = dims(who, alias(who, "dim", d, "axis", axis), ndim)
    return {"axis": d, "keepdims": bool(alias(who, "keepdim", keepdim, "keepdims", keepdims))}


def shape(args: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` (or a list) give the shape (2, 3)."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], tuple | list) else tuple(args)


def permutation(who: str, order: tuple[Any, ...], ndim: int) -> tuple[int, ...]:
    """``order`` as a permutation of the dims of an ``ndim``-d tensor (negative dims allowed)."""
    axes = tuple(dim(who, d, ndim, "each dim") for d in order)
    if sorted(axes) != list(range(ndim)):
        raise fail(who, "dims", f"be a permutation of the {ndim} dims, each once", order)
    return axes


def swapped(who: str, d0: int, d1: int, ndim: int) -> tuple[int, ...]:
    """The permutation that swaps dims ``d0`` and ``d1``."""
    axes = list(range(ndim))
    i, j = dim(who, d0, ndim, "dim0"), dim(who, d1, ndim, "dim1")
    axes[i], axes[j] = j, i
    return tuple(axes)


def squeezed(who: str, old: tuple[int, ...], d: Any) -> tuple[int, ...]:
    """``old`` without its size-1 dims (all of them, or those among ``d``; others stay, as PyTorch)."""
    d = dims(who, d, len(old))
    drop = range(len(old)) if d is None else (d,) if isinstance(d, int) else d
    return tuple(n for i, n in enumerate(old) if n != 1 or i not in drop)


def unsqueezed(who: str, old: tuple[int, ...], d: Any) -> tuple[int, ...]:
    """``old`` with a size-1 dim inserted at ``d`` (in [-ndim-1, ndim])."""
    i = dim(who, d, len(old) + 1)
    return (*old[:i], 1, *old[i:])


def flattened(who: str, old: tuple[int, ...], start: Any, end: Any) -> tuple[int, ...]:
    """``old`` with dims ``start`` to ``end`` (both included) merged into one."""
    if not old:
        return (1,)
    i, j = dim(who, start, len(old), "start_dim"), dim(who, end, len(old), "end_dim")
    if i > j:
        raise fail(who, "start_dim", f"not come after end_dim ({end})", start)
    return (*old[:i], math.prod(old[i : j + 1]), *old[j + 1 :])


def expanded(who: str, old: tuple[int, ...], sizes: tuple[Any, ...]) -> tuple[int, ...]:
    """The shape of ``expand(*sizes)``: -1 keeps a dim; a size-1 dim may grow; new dims go in front."""
    lead = len(sizes) - len(old)
    new = [-1 if s == -1 else check_int(who, "each size", s, minimum=0) for s in sizes]
    rule = f"keep each dim of {old} or grow a size-1 one (-1 keeps a dim)"
    if lead < 0 or any(n == -1 for n in new[:lead]):
        raise fail(who, "sizes", rule + ", with a size >= 0 for each new leading dim", sizes)
    for i, o in enumerate(old):
        if new[lead + i] == -1:
            new[lead + i] = o
        elif o not in (1, new[lead + i]):
            raise fail(who, "sizes", rule, sizes)
    return tuple(new)


def as_dtype(who: str, dtype: Any) -> np.dtype:
    """``dtype`` (np.float32, "float64", float, ...) as a NumPy dtype."""
    try:
        return np.dtype(dtype)
    except TypeError:
        fix = "tinygrad_np runs on NumPy, on the CPU" if isinstance(dtype, str) else ""
        raise fail(who, "dtype", "be a NumPy dtype, e.g. np.float32", repr(dtype), fix, TypeError) from None


def integer(who: str, what: str, value: Any) -> int:
    """``value`` as an int (any sign)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(who, what, "be an integer", value, error=TypeError)
    return int(value)


def numeric(who: str, what: str, x: Any, rule: str) -> np.ndarray:
    """``x`` as an ndarray of numbers (bool, int, float or complex), or a TypeError "<who>: <what> must
    <rule>, got ..." (strings, None, Python objects)."""
    a = np.asarray(x)
    if a.dtype.kind not in NUMERIC:
        got = repr(x) if isinstance(x, str) or x is None else f"{type(x).__name__} of dtype {a.dtype}"
        raise fail(who, what, rule, got, "convert first, e.g. np.asarray(x, dtype=np.float64)", TypeError)
    return a


def mask(who: str, m: Any, what: str = "mask") -> np.ndarray:
    """``m`` (an array or a Tensor) as a boolean array."""
    a = np.asarray(m)
    if a.dtype != bool:
        raise fail(
            who, what, "be boolean", f"dtype {a.dtype}", "e.g. t > 0 gives a boolean Tensor", TypeError
        )
    return a


class Size(int):
    """``t.size``: the number of elements (an int, as NumPy's ``ndarray.size``), which can also be
    called as PyTorch's ``t.size()`` (the shape) and ``t.size(d)`` (the length of dim ``d``)."""

    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> Size:
        n = super().__new__(cls, math.prod(shape))
        n.shape = shape
        return n

    def __call__(self, d: int | None = None) -> Any:
        return self.shape if d is None else self.shape[dim("Tensor.size", d, len(self.shape))]
