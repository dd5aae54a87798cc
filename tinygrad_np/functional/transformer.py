"""``F.embedding``, ``F.layer_norm``, ``F.scaled_dot_product_attention``: each calls its formula
(``ops.embedding``, ``ops.layernorm``, ``ops.attention``) with the checks of the layer of the same name."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..nn.attention import scaled_dot_product_attention
from ..nn.embedding import check_indices, check_padding_idx
from ..nn.layernorm import check_layer_norm_input, normalized
from ..ops.embedding import EmbeddingFunction
from ..ops.layernorm import LayerNormFunction
from ..validation import check_finite_float, fail
from .activations import as_tensor

__all__ = ["embedding", "layer_norm", "scaled_dot_product_attention"]


def _param(who: str, what: str, a: Any) -> Any:
    """A Tensor as it is (its gradient wanted), anything else as a constant float ndarray."""
    t = a if isinstance(a, Tensor) else np.asarray(a)
    if t.dtype.kind != "f":
        raise fail(who, what, "be floating-point", f"dtype {t.dtype}", error=TypeError)
    return t


def embedding(input: Any, weight: Any, padding_idx: int | None = None) -> Tensor:
    """The rows of ``weight`` (V, D) picked by the integer indices ``input`` (any shape) -> (*, D); the
    ``padding_idx`` row gets no gradient."""
    w = _param("embedding", "weight", weight)
    if w.ndim != 2:
        raise fail("embedding", "weight", "have shape (num_embeddings, embedding_dim)", f"shape {w.shape}")
    idx = check_indices("embedding", input, w.shape[0])
    pad = check_padding_idx("embedding", padding_idx, w.shape[0])
    if not isinstance(w, Tensor):
        w = Tensor(w)
    return EmbeddingFunction.apply(idx, w, padding_idx=pad)


def layer_norm(
    input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5
) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias over the last dims ``normalized_shape``."""
    x = as_tensor(input)
    shape = normalized("layer_norm", normalized_shape)
    if x.dtype.kind != "f":
        raise fail("layer_norm", "input", "be floating-point", f"dtype {x.dtype}", error=TypeError)
    check_layer_norm_input("layer_norm", x.data, shape)
    w = None if weight is None else _param("layer_norm", "weight", weight)
    b = None if bias is None else _param("layer_norm", "bias", bias)
    for name, p in (("weight", w), ("bias", b)):
        if p is not None and p.shape != shape:
            raise fail("layer_norm", name, f"have normalized_shape {shape}", f"shape {p.shape}")
    e = check_finite_float("layer_norm", "eps", eps, minimum=0.0)
    return LayerNormFunction.apply(x, w, b, normalized_shape=shape, eps=e)
