"""``to_onnx``: a tinygrad_np model as an ONNX file that onnxruntime (or any ONNX engine) can run.

Any model exports the same way: it is traced (trace.py: run in eval mode on a Tensor, the Functions it
records read back in topological order), and each traced node is converted by the converter of its
Function in ``ONNX_CONVERTERS`` (onnx_ops.py, onnx_spatial.py), which appends ONNX nodes to a
``_Graph``. Parameters keep their state-dict names as initializer names ("0.weight", "2.fc.bias",
"3.running_mean"), the batch axis is the symbolic dimension "batch", and the graph computes in the
model's dtype. As in eval mode: Dropout is the identity (no node), BatchNorm uses its running statistics.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from ..nn.module import Layer
from ..serialization import atomic_write
from ..validation import fail
from . import onnx_ops, onnx_spatial, onnx_transformer  # noqa: F401  (register the converters)
from ._common import example_shape, model_dtype, require
from ._onnx_graph import ONNX_CONVERTERS, WHO, _Graph, convert, onnx_converter
from .trace import BATCHES, trace_model

__all__ = ["ONNX_CONVERTERS", "build_onnx", "onnx_converter", "to_onnx"]

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax/LogSoftmax with the per-axis meaning


def _opset(onnx: Any, opset: Any) -> int:
    if opset is None:
        return DEFAULT_OPSET
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int | np.integer) or not MIN_OPSET <= opset <= newest:
        raise fail(WHO, "opset", f"be an int from {MIN_OPSET} to {newest} (this onnx's newest)", opset)
    return int(opset)


def _output_dims(shapes: tuple[tuple[int, ...], tuple[int, ...]]) -> list[int | str | None]:
    """The output's dims: fixed sizes, "batch" for the batch, None (unknown) for another size that
    follows the batch (e.g. after flattening the batch axis with others)."""
    at1, at2 = shapes
    return [a if a == b else "batch" if (a, b) == BATCHES else None for a, b in zip(at1, at2, strict=True)]


def build_onnx(
    model: Layer, input_shape: Any, opset: int | None = None, *, dtype: Any = None, input_dtype: Any = None
) -> Any:
    """The ``onnx.ModelProto`` of ``model`` for inputs (batch, *input_shape), checked by
    ``onnx.checker.check_model`` (full check, with shape inference). ``to_onnx`` writes it."""
    onnx = require("onnx", WHO)
    if not isinstance(model, Layer):
        raise fail(
            WHO,
            "model",
            "be a tinygrad_np Layer or Module (e.g. a Sequential)",
            type(model).__name__,
            error=TypeError,
        )
    example = example_shape(WHO, input_shape)
    version = _opset(onnx, opset)
    dt = model_dtype(WHO, model, dtype)
    g = _Graph(onnx, trace_model(WHO, model, example, dt, input_dtype), version)
    out = convert(g)
    if not g.nodes or not any(out in node.output for node in g.nodes):  # the input, or a constant
        out = g.node("Identity", [out], "")
    for node in g.nodes:  # the output tensor is the graph's output, named "output"
        node.input[:] = ["output" if i == out else i for i in node.input]
        node.output[:] = ["output" if o == out else o for o in node.output]
    h, elem = onnx.helper, onnx.helper.np_dtype_to_tensor_dtype(dt)
    graph = h.make_graph(
        g.nodes,
        "tinygrad_np",
        [h.make_tensor_value_info("input", _input_elem(h, g, dt), ["batch", *example])],
        [h.make_tensor_value_info("output", elem, _output_dims(g.trace.shapes(g.trace.output)))],
        g.initializers,
    )
    opsets = [h.make_opsetid("", version)]
    proto = h.make_model(graph, opset_imports=opsets, producer_name="tinygrad_np", doc_string=repr(model))
    proto.ir_version = h.find_min_ir_version_for(opsets)  # the oldest IR that has the opset: widest reach
    # the package's version, read from the (already imported) package: importing it here would be a cycle
    proto.producer_version = sys.modules[__name__.partition(".")[0]].__version__
    onnx.checker.check_model(proto, full_check=True)
    return proto


def _input_elem(h: Any, g: _Graph, dt: np.dtype) -> Any:
    return h.np_dtype_to_tensor_dtype(g.trace.input_dtype or dt)


def to_onnx(
    model: Layer,
    path: str | os.PathLike[str],
    input_shape: Any,
    opset: int | None = None,
    *,
    dtype: Any = None,
    input_dtype: Any = None,
) -> Any:
    """Write ``model`` to ``path`` as an ONNX model for inputs (batch, *input_shape); returns the ModelProto.

    ``input_shape`` is one example's shape without the batch axis, e.g. ``(12288,)``; the batch axis
    is the symbolic "batch", so any batch size runs. ``opset`` defaults to 17. The graph computes
    in the model's dtype (float32 or float64; ``dtype`` is only used by a model without parameters,
    default float64). ``model`` is any Module (a Sequential, a Module subclass with skip connections
    and shared layers): it is traced in eval mode (Dropout is the identity; BatchNorm uses its running
    statistics) and its modes, caches and buffers are left as they were. A Function without a
    converter in ``ONNX_CONVERTERS`` is an ``UnsupportedLayerError`` naming it and the layer. The
    file is written atomically (an existing file stays intact on any error).
    ``input_dtype``: the input's dtype when it is not the model's, e.g. ``np.int64`` for the token ids
    of a language model (input (batch, time) integers, output its logits).
    Needs the ``onnx`` package: ``pip install -e '.[onnx]'``.
    """
    proto = build_onnx(model, input_shape, opset, dtype=dtype, input_dtype=input_dtype)
    if proto.ByteSize() >= 2**31:
        raise fail(WHO, "the model", "be under 2 GB (protobuf's limit)", f"{proto.ByteSize()} bytes")
    with atomic_write(path) as f:
        f.write(proto.SerializeToString())
    return proto
