"""Scaled dot-product attention, one fused formula (scores, masks, softmax, dropout, weighted sum):

    S = scale · q kᵀ (+ mask)    P = softmax(S) along the keys    Pd = P · D    y = Pd v

q (..., L, E), k (..., S, E), v (..., S, Ev) -> y (..., L, Ev); the batch dims broadcast. scale defaults
to 1/sqrt(E). A boolean ``attn_mask`` (broadcast to (..., L, S)) keeps the True entries (as PyTorch);
a float one is added to S; ``is_causal`` keeps key j <= query i. D, the dropout mask (0 or 1/(1 - p),
drawn by the caller as ``ops.dropout.dropout_mask`` does), is an input like Dropout's; None: no dropout.

    dv = Pdᵀ g,   dPd = g vᵀ,   dS = P · (dP - Σ_keys dP · P)  with dP = dPd · D,
    dq = scale · dS k,   dk = scale · dSᵀ q,   d(float mask) = dS

Stable: S - max(S) per row before exp. A query whose keys are all masked out gets P = 0, so y = 0 and
no gradient, as PyTorch 2.13's scaled_dot_product_attention returns (zeros, not NaN).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function

Array = np.ndarray


def causal_mask(lq: int, lk: int) -> Array:
    """(L, S) booleans, True where key j <= query i (PyTorch's is_causal: the top-left triangle)."""
    return np.tril(np.ones((lq, lk), dtype=bool))


def masked_softmax(s: Array) -> Array:
    """softmax along the last axis, in place on s (its own array); rows of only -inf give zeros."""
    m = s.max(axis=-1, keepdims=True)
    m[~np.isfinite(m)] = 0  # a fully masked row: exp(-inf - 0) = 0 everywhere
    s -= m
    np.exp(s, out=s)
    total = s.sum(axis=-1, keepdims=True)
    total[total == 0] = 1
    s /= total
    return s


class ScaledDotProductAttention(Function):
    """See the module docstring. attn_mask, dropout_mask: arrays broadcasting to (..., L, S), or None."""

    shape_rule = ""  # F.scaled_dot_product_attention checks the shapes first

    @staticmethod
    def forward(
        ctx: Any,
        q: Array,
        k: Array,
        v: Array,
        attn_mask: Array | None = None,
        dropout_mask: Array | None = None,
        *,
        is_causal: bool = False,
        scale: float | None = None,
    ) -> Array:
        dt = q.dtype.type
        c = dt(1 / np.sqrt(q.shape[-1]) if scale is None else scale)
        s = np.matmul(q, np.swapaxes(k, -1, -2))  # (..., L, S): one batched BLAS call
        s *= c
        if is_causal:
            np.copyto(s, dt(-np.inf), where=~causal_mask(q.shape[-2], k.shape[-2]))
        if attn_mask is not None:
            if attn_mask.dtype == bool:
                np.copyto(s, dt(-np.inf), where=~attn_mask)
            else:
                s += attn_mask
        p = masked_softmax(s)
        pd = p if dropout_mask is None else p * dropout_mask
        ctx.save_for_backward(q, k, v, p, pd, dropout_mask, c)
        return np.matmul(pd, v)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, ...]:
        q, k, v, p, pd, dropout_mask, c = ctx.saved_tensors
        need_q, need_k, need_v = ctx.needs_input_grad[:3]
        need_mask = len(ctx.needs_input_grad) > 3 and ctx.needs_input_grad[3]
        dv = np.matmul(np.swapaxes(pd, -1, -2), g) if need_v else None
        dq = dk = dmask = None
        if need_q or need_k or need_mask:
            dp = np.matmul(g, np.swapaxes(v, -1, -2))  # dL/dPd
            if dropout_mask is not None:
                dp *= dropout_mask
            ds = dp
            ds -= np.sum(dp * p, axis=-1, keepdims=True)
            ds *= p  # the softmax's Jacobian, applied in place: dS
            dmask = ds if need_mask else None
            dq = np.matmul(ds, k) * c if need_q else None
            dk = np.matmul(np.swapaxes(ds, -1, -2), q) * c if need_k else None
        return (dq, dk, dv, dmask, None)[: len(ctx.inputs)]
