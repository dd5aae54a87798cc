"""The ONNX converters of the transformer's formulas (registered in ``ONNX_CONVERTERS`` on import):
Embedding is Gather; LayerNorm is LayerNormalization (opset 17 on); GELU is x/2 (1 + Erf(x/sqrt 2)) or
its tanh form (a float64 Erf runs in float32: onnxruntime has no float64 kernel); attention is MatMul,
Mul, Where / Add (the masks), Softmax and MatMul. In ONNX, a query whose keys are all masked gets NaN
from Softmax (the model returns zeros there)."""

from __future__ import annotations

import numpy as np

from ..ops import activations as act
from ..ops import attention, embedding, layernorm
from ..validation import fail
from ._common import UnsupportedLayerError, join
from ._onnx_graph import WHO, _Graph, onnx_converter
from .trace import Node, Ref


@onnx_converter(embedding.EmbeddingFunction)
def _embedding(g: _Graph, n: Node) -> str:
    v = n.args["indices"]
    idx = g.ref(v) if isinstance(v, Ref) else g.init(join(n.path, "indices"), v, np.int64)
    return g.node("Gather", [g.value(n, "weight"), idx], n.path, axis=0)


@onnx_converter(layernorm.LayerNormFunction)
def _layer_norm(g: _Graph, n: Node) -> str:
    shape = tuple(n.args["normalized_shape"])
    if g.opset < 17:
        rule = "be 17 or newer for LayerNorm (LayerNormalization)"
        raise fail(WHO, "opset", rule, g.opset, error=UnsupportedLayerError)
    w = g.value(n, "weight") if n.args["weight"] is not None else g.init(join(n.path, "ones"), np.ones(shape))
    b = [] if n.args["bias"] is None else [g.value(n, "bias")]
    eps = float(n.args["eps"])
    return g.node("LayerNormalization", [g.value(n, "x"), w, *b], n.path, axis=-len(shape), epsilon=eps)


@onnx_converter(act.GELUFunction)
def _gelu(g: _Graph, n: Node) -> str:
    x, p = g.value(n, "a"), n.path
    half = g.node("Mul", [x, g.init(join(p, "half"), 0.5)], p)
    if n.args["approximate"] == "tanh":  # x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.node("Mul", [g.node("Mul", [x, x], p), x], p)
        inner = g.node("Add", [x, g.node("Mul", [cube, g.init(join(p, "cubic"), 0.044715)], p)], p)
        t = g.node(
            "Tanh", [g.node("Mul", [inner, g.init(join(p, "sqrt_2_over_pi"), np.sqrt(2 / np.pi))], p)], p
        )
    else:  # x/2 (1 + erf(x / sqrt 2))
        u = g.node("Mul", [x, g.init(join(p, "inv_sqrt2"), np.sqrt(0.5))], p)
        if g.dtype == np.float64:  # onnxruntime has no float64 Erf: through float32 (~1e-7 relative)
            f32, f64 = (g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(d)) for d in (np.float32, np.float64))
            t = g.node("Cast", [g.node("Erf", [g.node("Cast", [u], p, to=f32)], p)], p, to=f64)
        else:
            t = g.node("Erf", [u], p)
    return g.node("Mul", [half, g.node("Add", [t, g.init(join(p, "one"), 1.0)], p)], p)


@onnx_converter(attention.ScaledDotProductAttention)
def _attention(g: _Graph, n: Node) -> str:
    p = n.path
    if n.args["dropout_mask"] is not None:
        rule = "run without dropout (eval mode, dropout_p=0)"
        raise fail(WHO, f"attention in {n.where()}", rule, "a dropout mask", error=UnsupportedLayerError)
    q_dims, k_dims = g.trace.dims(n.args["q"]), g.trace.dims(n.args["k"])
    perm = [*range(len(k_dims) - 2), len(k_dims) - 1, len(k_dims) - 2]
    kt = g.node("Transpose", [g.value(n, "k")], p, perm=perm)
    scale = n.args["scale"]
    c = 1 / np.sqrt(g.trace.shapes(n.args["q"])[0][-1]) if scale is None else scale
    s = g.node("Mul", [g.node("MatMul", [g.value(n, "q"), kt], p), g.init(join(p, "scale"), c)], p)
    mask = n.args["attn_mask"]
    if n.args["is_causal"]:
        lq, lk = q_dims[-2], k_dims[-2]
        if lq is None or lk is None:
            rule = "have fixed lengths for is_causal"
            raise fail(WHO, f"attention in {n.where()}", rule, "lengths that follow the batch",
                       error=UnsupportedLayerError)  # fmt: skip
        mask = attention.causal_mask(lq, lk)
    if mask is not None and not isinstance(mask, Ref) and np.asarray(mask).dtype == bool:
        keep = g.init(join(p, "keep"), mask, np.bool_)
        s = g.node("Where", [keep, s, g.init(join(p, "minus_inf"), -np.inf)], p)
    elif mask is not None:
        s = g.node("Add", [s, g.value(n, "attn_mask")], p)
    weights = g.node("Softmax", [s], p, axis=-1)
    return g.node("MatMul", [weights, g.value(n, "v")], p)
