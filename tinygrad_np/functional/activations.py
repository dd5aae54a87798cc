"""``F.relu`` ... ``F.log_softmax``: each calls its formula (``ops.activations``, ``ops.softmax``) on a
Tensor (an ndarray is wrapped in one), so its gradient is that formula's backward."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..ops import activations as act
from ..ops import softmax as sm
from ..validation import check_finite_float, fail

__all__ = ["as_tensor", "gelu", "leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "softplus", "tanh"]


def as_tensor(x: Any) -> Tensor:
    """``x`` itself if it is a Tensor, else a Tensor (without grad) holding it."""
    return x if isinstance(x, Tensor) else Tensor(x)


def relu(x: Any) -> Tensor:
    """max(x, 0)."""
    return act.ReLUFunction.apply(as_tensor(x))


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere."""
    slope = check_finite_float("leaky_relu", "negative_slope", negative_slope)
    return act.LeakyReLUFunction.apply(as_tensor(x), slope=slope)


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), stable."""
    return act.SigmoidFunction.apply(as_tensor(x))


def tanh(x: Any) -> Tensor:
    return act.TanhFunction.apply(as_tensor(x))


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x Φ(x) (Φ the standard normal CDF), or its tanh approximation with ``approximate="tanh"``."""
    if approximate not in ("none", "tanh"):
        raise fail("gelu", "approximate", "be one of ('none', 'tanh')", repr(approximate))
    return act.GELUFunction.apply(as_tensor(x), approximate=approximate)


def softplus(x: Any) -> Tensor:
    """log(1 + exp(x)), stable."""
    return act.Softplus.apply(as_tensor(x))


def softmax(x: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (default -1, the last; ``axis`` is an alias), finite at ±1000."""
    return sm.SoftmaxFunction.apply(as_tensor(x), dim=_dim("softmax", dim, axis))


def log_softmax(x: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """x - log(sum(exp(x))) along ``dim`` (default -1; ``axis`` is an alias), finite at ±1000."""
    return sm.LogSoftmaxFunction.apply(as_tensor(x), dim=_dim("log_softmax", dim, axis))


def _dim(who: str, dim: Any, axis: Any) -> int:
    """The dimension given as ``dim`` or as ``axis`` (NumPy's name), -1 if neither."""
    if dim is not None and axis is not None:
        got = f"dim={dim!r} and axis={axis!r}"
        raise fail(who, "the dimension", "be given once, as dim or as axis (an alias)", got, error=TypeError)
    chosen = dim if dim is not None else axis
    return -1 if chosen is None else sm.check_dim(who, chosen)
