"""Attention: ``scaled_dot_product_attention`` (the checks, the dropout mask, then the fused formula
``ops.attention.ScaledDotProductAttention``; ``F.scaled_dot_product_attention`` is this function) and
``MultiheadAttention``, PyTorch's module with its parameters and state-dict keys, written with Tensor
operations around that formula."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..ops import attention as fn
from ..ops import softmax as sm
from ..ops.dropout import DropoutFunction, dropout_mask
from ..ops.linear import LinearFunction
from ..random import Seed, generator
from ..validation import check_int, check_probability, fail
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention", "scaled_dot_product_attention"]

WHO = "scaled_dot_product_attention"


def _float_tensor(who: str, what: str, x: Any) -> Tensor:
    t = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if t.dtype.kind != "f":
        raise fail(who, what, "be a floating-point Tensor", f"dtype {t.dtype}", error=TypeError)
    if t.ndim < 2:
        raise fail(who, what, "have at least 2 dims (..., length, features)", f"shape {t.shape}")
    return t


def _scores_shape(q: Tensor, k: Tensor, v: Tensor) -> tuple[int, ...]:
    """The shape (..., L, S) of the attention scores, after checking q, k, v agree."""
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        rule = "agree: query (..., L, E), key (..., S, E), value (..., S, Ev)"
        raise fail(WHO, "the shapes", rule, f"{q.shape}, {k.shape}, {v.shape}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        rule = "have batch dims that broadcast together"
        raise fail(WHO, "query, key and value", rule, f"{q.shape}, {k.shape}, {v.shape}") from None
    return (*batch, q.shape[-2], k.shape[-2])


def _mask(mask: Any, scores: tuple[int, ...], dtype: np.dtype) -> Any:
    """attn_mask as a boolean array, or a float array or Tensor (its gradient wanted), checked."""
    m = mask if isinstance(mask, Tensor) and mask.dtype.kind == "f" else np.asarray(mask)
    if m.dtype != bool and m.dtype.kind != "f":
        rule = "be boolean (True: take part) or floating-point (added to the scores)"
        raise fail(WHO, "attn_mask", rule, f"dtype {m.dtype}", error=TypeError)
    try:
        if np.broadcast_shapes(m.shape, scores) != scores:
            raise ValueError
    except ValueError:
        raise fail(WHO, "attn_mask", f"broadcast to the scores' shape {scores}", f"shape {m.shape}") from None
    return m if m.dtype == bool or isinstance(m, Tensor) else m.astype(dtype, copy=False)


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    rng: Seed = None,
) -> Tensor:
    """softmax(query keyᵀ · scale + mask) value, as ``torch.nn.functional.scaled_dot_product_attention``:
    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). ``scale`` defaults to
    1/sqrt(E); a boolean ``attn_mask`` keeps its True entries, a float one is added; ``is_causal``
    masks keys after each query. ``dropout_p`` > 0 drops attention weights (always, as PyTorch's
    function; the mask drawn from ``rng``). A query with every key masked gets zeros."""
    q, k, v = (_float_tensor(WHO, n, t) for n, t in (("query", query), ("key", key), ("value", value)))
    if not q.dtype == k.dtype == v.dtype:
        raise fail(
            WHO,
            "query, key and value",
            "share one dtype",
            f"{q.dtype}, {k.dtype}, {v.dtype}",
            error=TypeError,
        )
    scores = _scores_shape(q, k, v)
    mask = None if attn_mask is None else _mask(attn_mask, scores, q.dtype)
    if mask is not None and is_causal:
        raise fail(WHO, "attn_mask", "be None when is_causal=True (as PyTorch)", "a mask")
    p = check_probability(WHO, "dropout_p", dropout_p)
    drop = dropout_mask(scores, p, generator(WHO, rng), q.dtype)
    if scale is not None and not (isinstance(scale, int | float) and math.isfinite(scale)):
        raise fail(WHO, "scale", "be a finite number or None", scale, error=TypeError)
    settings = {"is_causal": bool(is_causal), "scale": None if scale is None else float(scale)}
    return fn.ScaledDotProductAttention.apply(q, k, v, mask, drop, **settings)


def _out_proj_init(shape: tuple[int, ...], rng: Any, dtype: np.dtype) -> np.ndarray:
    """PyTorch's Linear default: U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform with a = sqrt(5))."""
    bound = 1 / math.sqrt(shape[1])
    return rng.uniform(-bound, bound, size=shape).astype(dtype, copy=False)


class MultiheadAttention(Module):
    """PyTorch's ``nn.MultiheadAttention`` (embed_dim split over num_heads heads): ``in_proj_weight``
    (3E, E) xavier-uniform, ``in_proj_bias`` (3E,) zeros, ``out_proj`` a Linear (E, E) with a zero bias.
    ``forward(query, key, value, attn_mask=None, need_weights=True, is_causal=False,
    average_attn_weights=True)`` -> ``(output, weights)``: inputs (N, L, E) with ``batch_first=True``
    (the default here), (L, N, E) otherwise, or (L, E) unbatched; weights (N, L, S) averaged over the
    heads ((N, H, L, S) with ``average_attn_weights=False``), None with ``need_weights=False`` (then the
    fused ``scaled_dot_product_attention`` runs). A boolean attn_mask (L, S) or (N·H, L, S) is True
    where attention is NOT allowed (PyTorch's module convention, the opposite of the function's); a
    float one is added. ``is_causal`` without a mask masks the future. Inputs: Tensors (or arrays,
    constants); the outputs are Tensors."""

    _array_forward = True  # forward takes Tensors and arrays itself and returns Tensors

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = True,
        *,
        rng: Seed = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.embed_dim = check_int("MultiheadAttention", "embed_dim", embed_dim)
        self.num_heads = check_int("MultiheadAttention", "num_heads", num_heads)
        if self.embed_dim % self.num_heads:
            rule = f"be divisible by num_heads ({self.num_heads})"
            raise fail("MultiheadAttention", "embed_dim", rule, self.embed_dim)
        self.head_dim = self.embed_dim // self.num_heads
        self.dropout = check_probability("MultiheadAttention", "dropout", dropout)
        self.batch_first = bool(batch_first)
        g, dt, e = generator("MultiheadAttention", rng), np.dtype(dtype), self.embed_dim
        bound = math.sqrt(6.0 / (4 * e))  # xavier_uniform of (3E, E)
        self.in_proj_weight = Parameter(g.uniform(-bound, bound, size=(3 * e, e)).astype(dt, copy=False))
        self.in_proj_bias = Parameter(np.zeros(3 * e, dtype=dt)) if bias else None
        self.out_proj = Linear(e, e, bias=bias, init=_out_proj_init, rng=g, dtype=dt)
        self.rng = g

    def _project(self, x: Tensor, part: slice | None) -> Tensor:
        w: Tensor = self.in_proj_weight
        b: Tensor | None = self.in_proj_bias
        if part is not None:
            w, b = w[part], None if b is None else b[part]
        return LinearFunction.apply(x, w, b)

    def _heads(self, x: Tensor) -> Tensor:
        """(N, L, E) -> (N, H, L, head_dim)."""
        n, length, _ = x.shape
        return x.reshape(n, length, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(  # type: ignore[override]
        self,
        query: Any,
        key: Any,
        value: Any,
        attn_mask: Any = None,
        need_weights: bool = True,
        is_causal: bool = False,
        average_attn_weights: bool = True,
    ) -> tuple[Tensor, Tensor | None]:
        who = repr(self)
        q, k, v = (_float_tensor(who, n, t) for n, t in (("query", query), ("key", key), ("value", value)))
        unbatched = q.ndim == 2
        if unbatched:
            q, k, v = q.unsqueeze(0), k.unsqueeze(0), v.unsqueeze(0)
        elif not self.batch_first:
            q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
        for name, t in (("query", q), ("key", k), ("value", v)):
            if t.ndim != 3 or t.shape[-1] != self.embed_dim:
                raise fail(who, name, f"have shape (batch, length, {self.embed_dim})", f"shape {t.shape}")
        n, length, s = q.shape[0], q.shape[1], k.shape[1]
        if query is key and key is value:  # self-attention: one product for q, k and v
            qkv = self._project(q, None)
            q, k, v = qkv.split(self.embed_dim, dim=-1)
        else:
            e = self.embed_dim
            q, k, v = (self._project(t, slice(i * e, (i + 1) * e)) for i, t in enumerate((q, k, v)))
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        keep = self._keep(attn_mask, is_causal, n, length, s, q.dtype)
        p = self.dropout if self.training else 0.0
        if need_weights:
            out, weights = self._explicit(q, k, v, keep, p)
        else:
            out, weights = scaled_dot_product_attention(q, k, v, keep, p, rng=self.rng), None
        out = self.out_proj(out.transpose(1, 2).reshape(n, length, self.embed_dim))
        if weights is not None and average_attn_weights:
            weights = weights.mean(dim=1)
        if unbatched:
            return out.squeeze(0), None if weights is None else weights.squeeze(0)
        return (out if self.batch_first else out.transpose(0, 1)), weights

    def _keep(self, mask: Any, is_causal: bool, n: int, length: int, s: int, dtype: np.dtype) -> Any:
        """The mask in the function's convention (True: take part; float: added), shaped (N, H, L, S)
        or (L, S); None for none."""
        if mask is None:
            return fn.causal_mask(length, s) if is_causal else None
        m = mask if isinstance(mask, Tensor) and mask.dtype.kind == "f" else np.asarray(mask)
        if m.shape not in ((length, s), (n * self.num_heads, length, s)):
            rule = f"have shape ({length}, {s}) or ({n * self.num_heads}, {length}, {s})"
            raise fail(repr(self), "attn_mask", rule, f"shape {m.shape}")
        if m.ndim == 3:
            m = m.reshape(n, self.num_heads, length, s)
        return ~m if m.dtype == bool else m if isinstance(m, Tensor) else m.astype(dtype, copy=False)

    def _explicit(self, q: Tensor, k: Tensor, v: Tensor, keep: Any, p: float) -> tuple[Tensor, Tensor]:
        """The attention weights as their own Tensor (need_weights=True), as PyTorch computes them."""
        scores = (q @ k.mT) * (1.0 / math.sqrt(self.head_dim))
        if keep is not None and getattr(keep, "dtype", None) is np.dtype(bool):
            scores = scores.masked_fill(~np.asarray(keep), -np.inf)
        elif keep is not None:
            scores = scores + keep
        weights = sm.SoftmaxFunction.apply(scores, dim=-1)
        if p > 0:
            weights = DropoutFunction.apply(weights, dropout_mask(weights.shape, p, self.rng, q.dtype))
        return weights @ v, weights

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"
