"""Softmax, LogSoftmax along one dimension, and cross-entropy on logits (N, C) with integer targets (N,).
All three work on z - max(z) (``numerics``), so logits of ±1000 give finite values and gradients."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..numerics import log_softmax, softmax
from ..validation import fail

Array = np.ndarray


def check_dim(who: str, dim: Any, shape: tuple[int, ...] | None = None) -> int:
    """``dim`` as an int (TypeError otherwise), in [-ndim, ndim) for an input of ``shape`` if given."""
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise fail(who, "dim", "be an integer", dim, error=TypeError)
    dim = int(dim)
    if shape is not None and not -len(shape) <= dim < len(shape):
        rule = f"be in [{-len(shape)}, {len(shape) - 1}] for an input of shape {shape}"
        raise fail(who, "dim", rule, dim)
    return dim


class SoftmaxFunction(Function):
    """y = exp(x) / Σ exp(x) along ``dim`` (any shape in, same shape out).

    dL/dx = y · (g - Σ g·y), the Jacobian diag(y) - y yᵀ applied to g without forming it."""

    shape_rule = ""

    @staticmethod
    def forward(ctx: Any, x: Array, *, dim: int) -> Array:
        dim = check_dim("Softmax", dim, x.shape)
        y = softmax(x, dim)
        ctx.save_for_backward(y, dim)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        y, dim = ctx.saved_tensors
        return (y * (g - np.sum(g * y, axis=dim, keepdims=True)),)


class LogSoftmaxFunction(Function):
    """y = x - log Σ exp(x) along ``dim``, computed on x - max(x) (finite at ±1000).

    dL/dx = g - softmax(x) · Σ g, with softmax(x) = exp(y)."""

    shape_rule = ""

    @staticmethod
    def forward(ctx: Any, x: Array, *, dim: int) -> Array:
        dim = check_dim("LogSoftmax", dim, x.shape)
        y = log_softmax(x, dim)
        ctx.save_for_backward(y, dim)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        y, dim = ctx.saved_tensors
        return (g - np.exp(y) * np.sum(g, axis=dim, keepdims=True),)


class CrossEntropy(Function):
    """Cross-entropy of logits z (N, C) against class indices t (N,), as PyTorch's:

        L_n = -Σ_k q_nk log softmax(z_n)_k,   q_n = (1 - s) one_hot(t_n) + s / C   (s = label_smoothing)

    for the rows that count (t_n ≠ ignore_index); L_n = 0 on ignored rows. ``reduction``: "mean" over
    the counted rows (NaN if none counts), "sum", or "none" (the vector L, shape (N,)).

    dL/dz_n = scale · (softmax(z_n) - q_n) on counted rows, 0 on ignored ones (scale = 1/N_counted for
    "mean", 1 for "sum", g_n for "none"). The targets get no gradient. The caller checks the targets
    (``nn.cross_entropy.check_logits_and_targets``)."""

    shape_rule = ""

    @staticmethod
    def forward(
        ctx: Any,
        z: Array,
        t: Array,
        *,
        reduction: str = "mean",
        ignore_index: int = -100,
        label_smoothing: float = 0.0,
    ) -> Array:
        n = len(z)
        s = label_smoothing
        counts = t != ignore_index
        t = np.where(counts, t, 0)  # any valid index on ignored rows: their loss and gradient are zeroed
        logp = log_softmax(z, axis=1)
        loss = -logp[np.arange(n), t]  # -log p of the true class
        if s:
            loss = (1 - s) * loss - s * np.mean(logp, axis=1)  # ... and -1/C Σ_k log p_k, mixed
        loss = np.where(counts, loss, z.dtype.type(0))
        n_counted = int(np.count_nonzero(counts))
        ctx.save_for_backward(logp, t, counts, n_counted, reduction, s)
        if reduction == "none":
            return loss
        total = float(np.sum(loss, dtype=np.float64))  # accumulated in float64, returned in z's dtype
        if reduction == "mean":
            total = total / n_counted if n_counted else np.nan
        return np.asarray(total, dtype=z.dtype)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, None]:
        logp, t, counts, n_counted, reduction, s = ctx.saved_tensors
        n, c = logp.shape
        dz = np.exp(logp)  # softmax(z), minus the target distribution q just below
        if s:
            dz -= logp.dtype.type(s / c)
        dz[np.arange(n), t] -= logp.dtype.type(1 - s)
        dz[~counts] = 0
        if reduction == "none":
            dz *= g[:, None]
        elif reduction == "mean" and n_counted:
            dz *= logp.dtype.type(1 / n_counted) * g
        else:
            dz *= g
        return dz, None
