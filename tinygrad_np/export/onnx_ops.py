"""The ONNX converters of the Functions in ``ops`` (registered in ``ONNX_CONVERTERS`` on import): one
per formula, each following its eval-mode forward. Linear is Gemm(x, W, b, transB=1) with W as
stored; Dropout adds no node. Where ONNX only has a float32 attribute (LeakyReLU's slope) and float32
would round a float64 model's value, the value goes in as a float64 tensor instead, so that float64
exports compute what the model computes.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..ops import activations as act
from ..ops import dropout, elementwise, linear, reduce, shape, softmax
from ._common import join
from ._onnx_graph import WHO, _Graph, onnx_converter
from .node_shapes import eval_mode_dropout, expand_target, reshape_target, simple_index
from .trace import Node

_BINARY = {elementwise.Add: "Add", elementwise.Sub: "Sub", elementwise.Mul: "Mul", elementwise.Div: "Div"}
_UNARY = {
    elementwise.Neg: "Neg",
    elementwise.Exp: "Exp",
    elementwise.Log: "Log",
    elementwise.Sqrt: "Sqrt",
    elementwise.Abs: "Abs",
    act.ReLUFunction: "Relu",
    act.SigmoidFunction: "Sigmoid",
    act.TanhFunction: "Tanh",
}
INT64_MAX = np.iinfo(np.int64).max


@onnx_converter(*_BINARY)
def _binary(g: _Graph, n: Node) -> str:
    return g.node(_BINARY[n.fn], [g.value(n, "a"), g.value(n, "b")], n.path)


@onnx_converter(*_UNARY)
def _unary(g: _Graph, n: Node) -> str:
    return g.node(_UNARY[n.fn], [g.value(n, "a")], n.path)


@onnx_converter(elementwise.Pow)
def _pow(g: _Graph, n: Node) -> str:
    return g.node("Pow", [g.value(n, "a"), g.value(n, "c")], n.path)


@onnx_converter(elementwise.Clip)
def _clip(g: _Graph, n: Node) -> str:
    bounds = ["" if n.args[k] is None else g.value(n, k) for k in ("lo", "hi")]  # "": no bound
    return g.node("Clip", [g.value(n, "a"), *bounds], n.path)


@onnx_converter(elementwise.Where)
def _where(g: _Graph, n: Node) -> str:
    cond = g.init(join(n.path, "cond"), n.args["cond"], np.bool_)  # a constant: no node makes booleans
    return g.node("Where", [cond, g.value(n, "a"), g.value(n, "b")], n.path)


@onnx_converter(elementwise.Cast)
def _cast(g: _Graph, n: Node) -> str:
    to = g.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(n.args["dtype"]))
    return g.node("Cast", [g.value(n, "a")], n.path, to=to)


@onnx_converter(act.Softplus)
def _softplus(g: _Graph, n: Node) -> str:
    """max(a, 0) + log(1 + exp(-|a|)), the stable form forward computes (ONNX's Softplus is
    log(exp(a) + 1), which overflows, and onnxruntime has no float64 kernel of it)."""
    a = g.value(n, "a")
    e = g.node("Exp", [g.node("Neg", [g.node("Abs", [a], n.path)], n.path)], n.path)
    log = g.node("Log", [g.node("Add", [e, g.init(join(n.path, "one"), 1.0)], n.path)], n.path)
    return g.node("Add", [g.node("Relu", [a], n.path), log], n.path)


@onnx_converter(act.LeakyReLUFunction)
def _leaky_relu(g: _Graph, n: Node) -> str:
    x, slope = g.value(n, "a"), float(n.args["slope"])
    if g.dtype == np.float32 or float(np.float32(slope)) == slope:
        return g.node("LeakyRelu", [x], n.path, alpha=slope)
    # ONNX attributes are float32: a float64 slope that float32 would round goes in as a float64
    # tensor, as where(x > 0, x, slope * x) (PRelu has no float64 kernel in onnxruntime before opset 16).
    positive = g.node("Greater", [x, g.init(join(n.path, "zero"), 0.0)], n.path)
    scaled = g.node("Mul", [x, g.init(join(n.path, "negative_slope"), slope)], n.path)
    return g.node("Where", [positive, x, scaled], n.path)


@onnx_converter(dropout.DropoutFunction)
def _dropout(g: _Graph, n: Node) -> str:
    eval_mode_dropout(WHO, n)
    return g.value(n, "x")  # the identity at inference: no node


@onnx_converter(linear.LinearFunction)
def _linear(g: _Graph, n: Node) -> str:
    x, w = g.value(n, "x"), g.value(n, "w")
    b = [] if n.args["b"] is None else [g.value(n, "b")]
    if len(g.trace.dims(n.args["x"])) == 2:
        return g.node("Gemm", [x, w, *b], n.path, transB=1)  # x @ W.T + b with W as stored (out, in)
    y = g.node("MatMul", [x, g.node("Transpose", [w], n.path)], n.path)  # Gemm is 2-d only
    return g.node("Add", [y, *b], n.path) if b else y


@onnx_converter(linear.MatMul)
def _matmul(g: _Graph, n: Node) -> str:
    return g.node("MatMul", [g.value(n, "a"), g.value(n, "b")], n.path)


@onnx_converter(softmax.SoftmaxFunction, softmax.LogSoftmaxFunction)
def _softmax(g: _Graph, n: Node) -> str:
    return g.node(n.fn.__name__.removesuffix("Function"), [g.value(n, "x")], n.path, axis=int(n.args["dim"]))


_REDUCE = {
    reduce.Sum: "ReduceSum",
    reduce.Mean: "ReduceMean",
    reduce.Max: "ReduceMax",
    reduce.Min: "ReduceMin",
}


@onnx_converter(*_REDUCE)
def _reduce(g: _Graph, n: Node) -> str:
    op = _REDUCE[n.fn]
    axis, keep = n.args["axis"], int(bool(n.args["keepdims"]))
    inputs = [g.value(n, "a")]
    if axis is None:  # every axis: ONNX's default
        return g.node(op, inputs, n.path, keepdims=keep)
    axes = [int(axis)] if isinstance(axis, numbers.Integral) else [int(a) for a in axis]
    if op == "ReduceSum" or g.opset >= 18:  # axes an input from these opsets on, an attribute before
        return g.node(op, [*inputs, g.ints(n, "axes", axes)], n.path, keepdims=keep)
    return g.node(op, inputs, n.path, keepdims=keep, axes=axes)


@onnx_converter(shape.Reshape)
def _reshape(g: _Graph, n: Node) -> str:
    target = reshape_target(g.trace, n, WHO)
    return g.node("Reshape", [g.value(n, "a"), g.ints(n, "shape", target)], n.path)


@onnx_converter(shape.Expand)
def _expand(g: _Graph, n: Node) -> str:
    target = [1 if s is None else s for s in expand_target(g.trace, n, WHO)]  # 1: keep the input's size
    return g.node("Expand", [g.value(n, "a"), g.ints(n, "shape", target)], n.path)


@onnx_converter(shape.Cat)
def _cat(g: _Graph, n: Node) -> str:
    return g.node("Concat", g.values(n, "arrays"), n.path, axis=int(n.args["axis"]))


@onnx_converter(shape.Stack)
def _stack(g: _Graph, n: Node) -> str:
    axis = int(n.args["axis"])
    pieces = [g.node("Unsqueeze", [x, g.ints(n, "axes", [axis])], n.path) for x in g.values(n, "arrays")]
    return g.node("Concat", pieces, n.path, axis=axis)


@onnx_converter(shape.Transpose)
def _transpose(g: _Graph, n: Node) -> str:
    ndim = len(g.trace.dims(n.args["a"]))
    axes = n.args["axes"]
    perm = list(reversed(range(ndim))) if axes is None else [int(a) % ndim for a in axes]
    return g.node("Transpose", [g.value(n, "a")], n.path, perm=perm)


@onnx_converter(shape.GetItem)
def _getitem(g: _Graph, n: Node) -> str:
    """Slice over the sliced axes, then Gather for each integer index (last axis first)."""
    x = x0 = g.value(n, "a")
    pairs = simple_index(n, len(g.trace.dims(n.args["a"])), WHO)
    cuts = [(a, s) for a, s in pairs if isinstance(s, slice) and s != slice(None)]
    if cuts:
        starts = [0 if s.start is None else s.start for _, s in cuts]
        ends = [INT64_MAX if s.stop is None else s.stop for _, s in cuts]
        steps = [s.step or 1 for _, s in cuts]
        limits = [g.ints(n, k, v) for k, v in (("starts", starts), ("ends", ends))]
        axes, step_ints = g.ints(n, "axes", [a for a, _ in cuts]), g.ints(n, "steps", steps)
        x = g.node("Slice", [x, *limits, axes, step_ints], n.path)
    for axis, i in reversed([(a, i) for a, i in pairs if not isinstance(i, slice)]):
        x = g.node("Gather", [x, g.init(join(n.path, "index"), i, np.int64)], n.path, axis=axis)
    return x if x != x0 else g.node("Identity", [x], n.path)
