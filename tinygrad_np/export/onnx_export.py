"""``to_onnx``: a tinygrad_np model as an ONNX file that onnxruntime (or any ONNX engine) can run.

One converter per layer type in ``ONNX_CONVERTERS``; each appends its nodes and initializers to a
``_Graph`` and returns the name of its output tensor. Parameters keep their state-dict names as
initializer names ("0.weight", "2.bias", "3.running_mean"), the batch axis is the symbolic
dimension "batch", and the graph computes in the model's dtype. The model is exported as in eval
mode: Dropout is the identity (no node) and BatchNorm uses its running statistics.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from ..nn.dropout import Dropout
from ..nn.layer import Layer
from ..nn.linear import Linear
from ..nn.sequential import Sequential
from ..serialization import atomic_write
from ..validation import fail
from ._common import join, model_dtype, require, unsupported

Shape = tuple[int | None, ...]
DEFAULT_OPSET = 17
MIN_OPSET = 13  # Softmax/LogSoftmax with the per-axis meaning, Split/Squeeze inputs
WHO = "to_onnx"


class _Graph:
    """The nodes and initializers of the graph being built, all in one dtype."""

    def __init__(self, onnx: Any, dtype: np.dtype) -> None:
        self.onnx, self.dtype = onnx, dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def init(self, name: str, array: Any) -> str:
        """Add the initializer ``name`` holding ``array`` (cast to the graph's dtype); returns ``name``."""
        value = np.ascontiguousarray(array, dtype=self.dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: Sequence[str], path: str, suffix: str = "", **attrs: Any) -> str:
        """Add one ``op`` node of layer ``path``; returns its output's name ("/2/1/Gemm_output")."""
        name = "/" + path.replace(".", "/") + f"/{op}{suffix}" if path else f"/{op}{suffix}"
        output = f"{name}_output"
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [output], name=name, **attrs))
        return output


Converter = Callable[[_Graph, Any, str, str, Shape], str]
ONNX_CONVERTERS: dict[type[Layer], Converter] = {}


def onnx_converter(*types: type[Layer]) -> Callable[[Converter], Converter]:
    """Register ``f(graph, layer, path, x, shape) -> output name`` as the converter of ``types``."""

    def register(f: Converter) -> Converter:
        for t in types:
            ONNX_CONVERTERS[t] = f
        return f

    return register


def convert(g: _Graph, layer: Layer, path: str, x: str, shape: Shape) -> str:
    """Append ``layer`` (the one at ``path``) applied to tensor ``x`` of ``shape``; returns its output."""
    f = ONNX_CONVERTERS.get(type(layer))
    if f is None:
        raise unsupported(WHO, path, layer, [t.__name__ for t in ONNX_CONVERTERS])
    return f(g, layer, path, x, shape)


def _in_shape(path: str, layer: Layer, shape: Shape) -> Shape:
    """The output shape of ``layer`` for ``shape``, a ValueError naming the layer if it does not fit."""
    try:
        return layer.output_shape(shape)
    except (ValueError, TypeError, IndexError) as e:
        raise fail(
            WHO, f"the input of layer {path!r} ({layer!r})", "fit the layer", f"shape {shape}: {e}"
        ) from e


@onnx_converter(Sequential)
def _sequential(g: _Graph, model: Sequential, path: str, x: str, shape: Shape) -> str:
    for name, layer in model.named_children():
        x = convert(g, layer, join(path, name), x, shape)
        shape = _in_shape(join(path, name), layer, shape)
    return x


@onnx_converter(Linear)
def _linear(g: _Graph, layer: Linear, path: str, x: str, shape: Shape) -> str:
    if len(shape) < 2 or shape[-1] != layer.in_features:
        got = "(" + ", ".join("batch" if s is None else str(s) for s in shape) + ")"
        raise fail(
            WHO, f"the input of layer {path!r} ({layer!r})", f"end in {layer.in_features} features", got
        )
    w = g.init(join(path, "weight"), layer.weight.data)
    b = [g.init(join(path, "bias"), layer.bias.data)] if layer.bias is not None else []
    if len(shape) == 2:
        return g.node("Gemm", [x, w, *b], path, transB=1)  # x @ W.T + b with W as stored (out, in)
    y = g.node("MatMul", [x, g.node("Transpose", [w], path)], path)  # Gemm is 2-d only
    return g.node("Add", [y, *b], path) if b else y


@onnx_converter(ReLU)
def _relu(g: _Graph, layer: ReLU, path: str, x: str, shape: Shape) -> str:
    return g.node("Relu", [x], path)


@onnx_converter(Sigmoid)
def _sigmoid(g: _Graph, layer: Sigmoid, path: str, x: str, shape: Shape) -> str:
    return g.node("Sigmoid", [x], path)


@onnx_converter(Tanh)
def _tanh(g: _Graph, layer: Tanh, path: str, x: str, shape: Shape) -> str:
    return g.node("Tanh", [x], path)


@onnx_converter(LeakyReLU)
def _leaky_relu(g: _Graph, layer: LeakyReLU, path: str, x: str, shape: Shape) -> str:
    a = layer.negative_slope
    if g.dtype == np.float32 or float(np.float32(a)) == a:
        return g.node("LeakyRelu", [x], path, alpha=a)
    # ONNX attributes are float32: a float64 slope that float32 would round goes in as a float64
    # tensor, as where(x > 0, x, slope * x) (PRelu has no float64 kernel in onnxruntime before opset 16).
    positive = g.node("Greater", [x, g.init(join(path, "zero"), 0.0)], path)
    scaled = g.node("Mul", [x, g.init(join(path, "negative_slope"), a)], path)
    return g.node("Where", [positive, x, scaled], path)


@onnx_converter(Dropout)
def _dropout(g: _Graph, layer: Dropout, path: str, x: str, shape: Shape) -> str:
    return x  # the identity at inference: no node


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
    out_shape = _in_shape("", model, (None, *example))
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
