"""Stateless image functions on Tensors, as ``torch.nn.functional``: ``conv2d``, ``max_pool2d``,
``avg_pool2d``, ``batch_norm`` (re-exported by ``tinygrad_np.functional``).

Each checks its arguments and calls its formula (``ops.conv``, ``ops.pool``, ``ops.norm``) directly:
no layer is built and no random generator is touched. ``x`` may be a Tensor or an ndarray (the result
is a Tensor either way); weights and running statistics may be Tensors or ndarrays (an ndarray is a
constant: no gradient).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..nn.spatial import Pair, check_nchw, pair
from ..ops import conv, norm, pool
from ..validation import check_finite_float, check_float_array, fail


def _input(who: str, x: Any) -> Tensor:
    """``x`` as a Tensor of floating-point values."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    check_float_array(who, "input", x.data)
    return x


def _operand(who: str, what: str, v: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """A weight-like argument: a Tensor (kept, so it gets a gradient) or an ndarray of ``shape`` in
    ``dtype``; None stays None."""
    if v is None:
        return None
    v = v if isinstance(v, Tensor) else np.asarray(v)
    a = v.data if isinstance(v, Tensor) else v
    if a.shape != shape:
        raise fail(who, what, f"have shape {shape}", f"shape {a.shape}")
    if a.dtype != dtype:
        raise fail(who, what, f"have the input's dtype {dtype}", f"dtype {a.dtype}",
                   f"convert with .astype(np.{dtype})", TypeError)  # fmt: skip
    return v


def conv2d(x: Any, weight: Any, bias: Any = None, stride: int | Pair = 1, padding: int | Pair = 0) -> Tensor:
    """2-d convolution (cross-correlation) as ``torch.nn.functional.conv2d``: x (N, C, H, W), weight
    (O, C, kh, kw), bias (O,) or None -> (N, O, Ho, Wo), Ho = floor((H + 2 ph - kh) / sh) + 1; zero
    padding; ``stride`` and ``padding`` an int or a pair."""
    x = _input("conv2d", x)
    w = np.shape(weight.data if isinstance(weight, Tensor) else weight)
    if len(w) != 4:
        raise fail("conv2d", "weight", "have shape (out_channels, in_channels, kh, kw)", f"shape {w}")
    stride, padding = pair("conv2d", "stride", stride), pair("conv2d", "padding", padding, minimum=0)
    check_nchw("conv2d", x.data, (w[2], w[3]), padding)
    if x.shape[1] != w[1]:
        rule = f"have {w[1]} channels (the weight's in_channels, shape {w})"
        raise fail("conv2d", "input", rule, f"shape {x.shape}")
    weight = _operand("conv2d", "weight", weight, w, x.dtype)
    bias = _operand("conv2d", "bias", bias, (w[0],), x.dtype)
    return conv.Conv2dFunction.apply(x, weight, bias, stride=stride, padding=padding)


def _pool(fn: Any, who: str, x: Any, kernel_size: int | Pair, stride: int | Pair | None) -> Tensor:
    x = _input(who, x)
    kernel = pair(who, "kernel_size", kernel_size)
    step = kernel if stride is None else pair(who, "stride", stride)
    check_nchw(who, x.data, kernel)
    return fn.apply(x, kernel_size=kernel, stride=step)


def max_pool2d(x: Any, kernel_size: int | Pair, stride: int | Pair | None = None) -> Tensor:
    """Max over kh x kw windows, as ``torch.nn.functional.max_pool2d`` (no padding; stride defaults to
    kernel_size); a tie sends the gradient to the first maximum, as PyTorch."""
    return _pool(pool.MaxPool2dFunction, "max_pool2d", x, kernel_size, stride)


def avg_pool2d(x: Any, kernel_size: int | Pair, stride: int | Pair | None = None) -> Tensor:
    """Mean over kh x kw windows, as ``torch.nn.functional.avg_pool2d`` (no padding; stride defaults
    to kernel_size)."""
    return _pool(pool.AvgPool2dFunction, "avg_pool2d", x, kernel_size, stride)


def _running_stats(mean: Any, var: Any, c: int, dtype: np.dtype, training: bool) -> tuple[Any, Any]:
    """``running_mean`` and ``running_var``: ndarrays or Tensors of shape (C,), as their arrays (updated in
    place in training); both None is allowed in training mode only."""
    if mean is None and var is None and training:
        return None, None
    if mean is None or var is None:
        rule = "both be given (or both None in training mode)" if training else "be given in evaluation mode"
        got = f"{type(mean).__name__} and {type(var).__name__}"
        raise fail("batch_norm", "running_mean and running_var", rule, got)
    arrays = []
    for what, v in (("running_mean", mean), ("running_var", var)):
        if not isinstance(v, Tensor | np.ndarray):
            rule = "be an ndarray or a Tensor (updated in place in training) or None"
            raise fail("batch_norm", what, rule, type(v).__name__, error=TypeError)
        arrays.append(_operand("batch_norm", what, v.data if isinstance(v, Tensor) else v, (c,), dtype))
    return arrays[0], arrays[1]


def batch_norm(
    x: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over every axis but 1 (the C channels), as ``torch.nn.functional.batch_norm``:
    y = weight (x - mean) / sqrt(var + eps) + bias, with weight, bias (C,) or None (1 and 0).

    ``training=True``: mean and var are the batch's (biased var), and the running statistics, when
    given, are updated in place by PyTorch's rule (momentum m: running = (1 - m) running + m batch, the
    variance unbiased). ``training=False``: ``running_mean`` and ``running_var`` (C,) are used."""
    x = _input("batch_norm", x)
    if x.ndim < 2:
        raise fail("batch_norm", "input", "have shape (batch, channels, ...)", f"shape {x.shape}")
    c, dtype = x.shape[1], x.dtype
    mean, var = _running_stats(running_mean, running_var, c, dtype, bool(training))
    weight = _operand("batch_norm", "weight", weight, (c,), dtype)
    bias = _operand("batch_norm", "bias", bias, (c,), dtype)
    momentum = check_finite_float("batch_norm", "momentum", momentum, minimum=0.0, maximum=1.0)
    eps = check_finite_float("batch_norm", "eps", eps, minimum=0.0)
    if not training:
        return norm.BatchNorm.apply(x, weight, bias, mean, var, eps=eps)
    n = x.size // c  # values per channel
    if n <= 1:
        rule = "hold more than 1 value per channel in training mode"
        raise fail("batch_norm", "input", rule, f"shape {x.shape}")
    y = norm.BatchNorm.apply(x, weight, bias, None, None, eps=eps)
    if mean is not None:
        batch_mean, batch_var = norm.used_statistics(y._ctx, x.data)  # y._ctx: None if nothing recorded
        mean[...], var[...] = norm.running_update(mean, var, batch_mean, batch_var, n, momentum)
    return y
