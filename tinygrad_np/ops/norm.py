"""Batch normalisation, per channel (axis 1) over every other axis, as PyTorch's batch_norm.

With n values per channel, mean and var (biased) the batch's statistics in training, the given
running statistics in evaluation:

    xhat = (x - mean) / sqrt(var + eps),   y = w xhat + b
    dL/dw = Σ g xhat,   dL/db = Σ g
    dL/dx = w invstd g                                          (evaluation: the statistics are constants)
    dL/dx = w invstd (g - Σ g / n - xhat Σ(g xhat) / n)         (training: they depend on x too)

The running statistics move towards each training batch's (``running_update``, PyTorch's rule). The
batch's mean and variance are computed once, in ``BatchNorm.forward``, which keeps them on its ctx for
that update (``used_statistics``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function

Array = np.ndarray


def channel_axes(ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the axes reduced over: every axis but 1, the shape of a per-channel vector broadcast against x)."""
    return (0, *range(2, ndim)), (1, -1) + (1,) * (ndim - 2)


def batch_moments(x: Array) -> tuple[Array, Array, Array]:
    """(mean, biased variance) per channel, and x - mean (which forward normalises in place)."""
    axes, shape = channel_axes(x.ndim)
    mean = x.mean(axis=axes)
    xc = x - mean.reshape(shape)
    return mean, (xc * xc).mean(axis=axes), xc


class BatchNorm(Function):
    """x: (N, C, *) -> y: same shape; w, b: (C,) or None (1 and 0); running_mean, running_var: (C,)
    for evaluation, None in training (the batch's statistics). See the module docstring."""

    shape_rule = ""  # the layer and F.batch_norm check the shapes first

    @staticmethod
    def forward(
        ctx: Any,
        x: Array,
        w: Array | None,
        b: Array | None,
        running_mean: Array | None = None,
        running_var: Array | None = None,
        *,
        eps: float,
    ) -> Array:
        _, shape = channel_axes(x.ndim)
        training = running_mean is None or running_var is None
        if running_mean is None or running_var is None:  # training
            mean, var, xc = batch_moments(x)
            ctx.batch_mean, ctx.batch_var = mean, var  # for the running statistics (used_statistics)
        else:
            mean, var, xc = running_mean, running_var, x - running_mean.reshape(shape)
        invstd = 1.0 / np.sqrt(var + x.dtype.type(eps))
        xhat = xc
        xhat *= invstd.reshape(shape)  # in place: xc is our own array
        y = xhat.copy() if w is None else xhat * w.reshape(shape)
        if b is not None:
            y += b.reshape(shape)
        ctx.save_for_backward(xhat, invstd, w, b is not None, training)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
        xhat, invstd, w, has_bias, training = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        axes, shape = channel_axes(g.ndim)
        gsum = g.sum(axis=axes)
        gxhat = (g * xhat).sum(axis=axes)
        dw = gxhat if w is not None and need_w else None
        db = gsum if has_bias and need_b else None
        dx = None
        if need_x:
            scale = (invstd if w is None else w * invstd).reshape(shape)
            if training:  # w invstd (g - Σg/n - xhat Σ(g xhat)/n), in place on one array
                n = g.size // g.shape[1]
                dx = xhat * (gxhat / n).reshape(shape)
                np.subtract(g, dx, out=dx)
                dx -= (gsum / n).reshape(shape)
                dx *= scale
            else:
                dx = g * scale
        return (dx, dw, db, None, None)[: len(ctx.inputs)]


def used_statistics(ctx: Any, x: Array) -> tuple[Array, Array]:
    """The batch (mean, biased variance) a training-mode BatchNorm call normalised with: those it kept
    on its ctx. A call that kept no ctx (under ``no_grad()``, or with no input requiring grad: no graph,
    no cache) has them computed again by the same formula."""
    if ctx is not None:
        return ctx.batch_mean, ctx.batch_var
    mean, var, _ = batch_moments(x)
    return mean, var


def running_update(
    running_mean: Array, running_var: Array, mean: Array, var: Array, n: int, momentum: float
) -> tuple[Array, Array]:
    """PyTorch's rule after a training batch of n values per channel (n > 1): running = (1 - m)
    running + m batch, with the batch variance made unbiased (var n / (n - 1)). Returns new arrays,
    in the running statistics' dtypes."""

    def moved(running: Array, batch: Array, factor: float = 1.0) -> Array:
        dt = running.dtype.type
        batch = batch.astype(running.dtype) * dt(factor)  # x * 1 is exact: the mean is unchanged
        return ((1 - momentum) * running + dt(momentum) * batch).astype(dt, copy=False)

    return moved(running_mean, mean), moved(running_var, var, n / (n - 1))
