"""The PyTorch converters of the transformer's formulas: Embedding, LayerNorm, GELU and scaled
dot-product attention, each the torch function of the same name (registered on import)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import activations as act
from ..ops import attention, embedding, layernorm
from ..validation import fail
from ._common import UnsupportedLayerError
from .torch_ops import WHO, Replay, torch_converter
from .trace import Node, Ref


@torch_converter(embedding.EmbeddingFunction)
def _embedding(r: Replay, n: Node) -> Any:
    v = n.args["indices"]
    idx = r.ref(v) if isinstance(v, Ref) else r.torch.as_tensor(np.asarray(v, dtype=np.int64))
    return r.F.embedding(idx.long(), r.value(n, "weight"), padding_idx=n.args["padding_idx"])


@torch_converter(layernorm.LayerNormFunction)
def _layer_norm(r: Replay, n: Node) -> Any:
    shape = list(n.args["normalized_shape"])
    weight, bias = r.value(n, "weight"), r.value(n, "bias")
    return r.F.layer_norm(r.value(n, "x"), shape, weight, bias, float(n.args["eps"]))


@torch_converter(act.GELUFunction)
def _gelu(r: Replay, n: Node) -> Any:
    return r.F.gelu(r.value(n, "a"), approximate=n.args["approximate"])


@torch_converter(attention.ScaledDotProductAttention)
def _attention(r: Replay, n: Node) -> Any:
    if n.args["dropout_mask"] is not None:
        rule = "run without dropout (eval mode, dropout_p=0)"
        raise fail(WHO, f"attention in {n.where()}", rule, "a dropout mask", error=UnsupportedLayerError)
    mask = n.args["attn_mask"]
    if mask is not None and not isinstance(mask, Ref) and np.asarray(mask).dtype == bool:
        m = r.torch.as_tensor(np.asarray(mask))
    else:
        m = r.value(n, "attn_mask")
    q, k, v = r.value(n, "q"), r.value(n, "k"), r.value(n, "v")
    return r.F.scaled_dot_product_attention(
        q, k, v, m, is_causal=bool(n.args["is_causal"]), scale=n.args["scale"]
    )
