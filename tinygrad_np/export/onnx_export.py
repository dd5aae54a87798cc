"""``to_onnx``: a tinygrad_np model as an ONNX file that onnxruntime (or any ONNX engine) can run.

One converter per layer type in ``ONNX_CONVERTERS``; each appends its nodes and initializers to a
``_Graph`` and returns the name of its output tensor. Parameters keep their state-dict names as
initializer names ("0.weight", "2.bias", "3.running_mean"), the batch axis is the symbolic
dimension "batch", and the graph computes in the model's dtype. The model is exported as in eval
mode: Dropout is the identity (no node) and BatchNorm uses its running statistics.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..nn.module import Layer
from ..serialization import atomic_write
from ..validation import fail
from . import onnx_layers  # noqa: F401  (registers the converters)
from ._common import model_dtype, require
from ._onnx_graph import ONNX_CONVERTERS, WHO, _Graph, convert, in_shape, onnx_converter

__all__ = ["ONNX_CONVERTERS", "build_onnx", "onnx_converter", "to_onnx"]

DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax/LogSoftmax with the per-axis meaning


def _example_shape(input_shape: Any) -> tuple[int, ...]:
    """``input_shape`` without the batch axis: ``(12288,)``, or ``(None, 12288)`` with an explicit one."""
    if isinstance(input_shape, int | np.integer):
        input_shape = (input_shape,)
    shape = tuple(input_shape)
    if shape and shape[0] is None:
        shape = shape[1:]
    if not shape or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) and s > 0 for s in shape
    ):
        raise fail(
            WHO,
            "input_shape",
            "be the shape of one example (positive ints, no batch axis)",
            input_shape,
            "e.g. (12288,) for 12288 features or (3, 64, 64) for an RGB image",
            TypeError,
        )
    return tuple(int(s) for s in shape)


def _opset(onnx: Any, opset: Any) -> int:
    if opset is None:
        return DEFAULT_OPSET
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int | np.integer) or not MIN_OPSET <= opset <= newest:
        raise fail(WHO, "opset", f"be an int from {MIN_OPSET} to {newest} (this onnx's newest)", opset)
    return int(opset)


def build_onnx(model: Layer, input_shape: Any, opset: int | None = None, *, dtype: Any = None) -> Any:
    """The ``onnx.ModelProto`` of ``model`` for inputs (batch, *input_shape), checked by
    ``onnx.checker.check_model`` (full check, with shape inference). ``to_onnx`` writes it."""
    onnx = require("onnx", WHO)
    if not isinstance(model, Layer):
        raise fail(
            WHO, "model", "be a tinygrad_np Layer (e.g. a Sequential)", type(model).__name__, error=TypeError
        )
    example = _example_shape(input_shape)
    version = _opset(onnx, opset)
    dt = model_dtype(WHO, model, dtype)
    g = _Graph(onnx, dt)
    out = convert(g, model, "", "input", (None, *example))
    out_shape = in_shape("", model, (None, *example))
    if out == "input" or not g.nodes:
        out = g.node("Identity", ["input"], "")
    for node in g.nodes:  # the last node's output is the graph's output, named "output"
        node.output[:] = ["output" if o == out else o for o in node.output]
    h, elem = onnx.helper, onnx.helper.np_dtype_to_tensor_dtype(dt)
    dims = ["batch" if s is None else s for s in out_shape]
    graph = h.make_graph(
        g.nodes,
        "tinygrad_np",
        [h.make_tensor_value_info("input", elem, ["batch", *example])],
        [h.make_tensor_value_info("output", elem, dims)],
        g.initializers,
    )
    opsets = [h.make_opsetid("", version)]
    proto = h.make_model(graph, opset_imports=opsets, producer_name="tinygrad_np", doc_string=repr(model))
    proto.ir_version = h.find_min_ir_version_for(opsets)  # the oldest IR that has the opset: widest reach
    from .. import __version__

    proto.producer_version = __version__
    onnx.checker.check_model(proto, full_check=True)
    return proto


def to_onnx(
    model: Layer,
    path: str | os.PathLike[str],
    input_shape: Any,
    opset: int | None = None,
    *,
    dtype: Any = None,
) -> Any:
    """Write ``model`` to ``path`` as an ONNX model for inputs (batch, *input_shape); returns the ModelProto.

    ``input_shape`` is one example's shape without the batch axis, e.g. ``(12288,)``; the batch axis
    is the symbolic "batch", so any batch size runs. ``opset`` defaults to 17. The graph computes
    in the model's dtype (float32 or float64; ``dtype`` is only used by a model without parameters,
    default float64). Exported as in eval mode (Dropout is the identity; BatchNorm uses its running
    statistics). A layer without a converter in ``ONNX_CONVERTERS`` is an ``UnsupportedLayerError``
    naming it. The file is written atomically (an existing file stays intact on any error).
    Needs the ``onnx`` package: ``pip install -e '.[onnx]'``.
    """
    proto = build_onnx(model, input_shape, opset, dtype=dtype)
    if proto.ByteSize() >= 2**31:
        raise fail(WHO, "the model", "be under 2 GB (protobuf's limit)", f"{proto.ByteSize()} bytes")
    with atomic_write(path) as f:
        f.write(proto.SerializeToString())
    return proto
