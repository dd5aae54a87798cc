"""The free functions of the Tensor API, as PyTorch spells them: ``tnp.tensor``, ``zeros``, ``ones``,
``randn`` make Tensors; ``cat``, ``stack``, ``where``, ``tril``, ``triu`` combine them. Each one that
has a gradient runs one Function of tinygrad_np/ops (Cat, Stack, Where). Arrays and numbers are
accepted wherever Tensors are (as constants: no gradient)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import elementwise as ew
from ..ops import shape as shp
from ..random import default_generator
from ..validation import fail
from . import tensor_args as args
from .tensor import Tensor, operand

__all__ = ["cat", "ones", "randn", "stack", "tensor", "tril", "triu", "where", "zeros"]


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new Tensor holding a copy of ``data`` (Python numbers become float64, as NumPy's default)."""
    return Tensor(
        np.array(data, dtype=None if dtype is None else args.as_dtype("tensor", dtype)), requires_grad
    )


def zeros(*size: Any, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(args.shape(size), dtype=args.as_dtype("zeros", dtype)), requires_grad)


def ones(*size: Any, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(args.shape(size), dtype=args.as_dtype("ones", dtype)), requires_grad)


def randn(*size: Any, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """Standard normal draws from the generator ``tnp.manual_seed`` seeds."""
    a = default_generator().standard_normal(args.shape(size)).astype(args.as_dtype("randn", dtype))
    return Tensor(a, requires_grad)


def cat(tensors: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """``tensors`` joined along the existing dim ``dim`` (default 0; NumPy's name: ``axis``)."""
    pieces = _pieces("cat", tensors)
    d = args.dim("cat", args.alias("cat", "dim", dim, "axis", axis) or 0, max(pieces[0].ndim, 1))
    return shp.Cat.apply(*pieces, axis=d)


def stack(tensors: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """``tensors`` (all of one shape) stacked along a new dim ``dim`` (default 0; NumPy's: ``axis``)."""
    pieces = _pieces("stack", tensors)
    d = args.dim("stack", args.alias("stack", "dim", dim, "axis", axis) or 0, pieces[0].ndim + 1)
    return shp.Stack.apply(*pieces, axis=d)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """``input`` where the boolean ``condition`` is True, ``other`` elsewhere (all broadcast together);
    the gradient flows to each side where it was chosen."""
    cond = args.mask("where", condition, "condition")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input)
    return ew.Where.apply(cond, operand(input, "where", "input"), operand(other, "where", "other"))


def tril(input: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (on and below ``diagonal``), zeros above; a Tensor,
    differentiable when ``input`` requires grad. ``tril(np.ones((n, n), bool))`` is a causal mask."""
    return _triangle("tril", np.tril, input, diagonal)


def triu(input: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (on and above ``diagonal``), zeros below; as ``tril``."""
    return _triangle("triu", np.triu, input, diagonal)


def _triangle(who: str, part: Any, input: Any, diagonal: int) -> Tensor:
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 2:
        raise fail(who, "input", "have at least 2 dims", f"shape {x.shape}")
    keep = part(np.ones(x.shape[-2:], dtype=bool), args.integer(who, "diagonal", diagonal))
    return ew.Where.apply(keep, x, np.zeros((), dtype=x.dtype))


def _pieces(who: str, tensors: Any) -> list[Tensor]:
    """A non-empty list or tuple of Tensors or arrays, as Tensors (arrays without grad)."""
    if not isinstance(tensors, list | tuple) or not tensors:
        got = tensors if isinstance(tensors, list | tuple) else type(tensors).__name__
        raise fail(who, "tensors", "be a non-empty list or tuple of Tensors", got, error=TypeError)
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
