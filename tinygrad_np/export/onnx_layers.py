"""The ONNX converters of the library's layers (registered in ``ONNX_CONVERTERS`` on import).

Each follows the layer's eval-mode forward: Linear is Gemm(x, W, b, transB=1) with W as stored,
Dropout adds no node, BatchNorm uses its running statistics. Where ONNX only has a float32 attribute
(LeakyReLU's slope, BatchNorm's eps) and float32 would round a float64 model's value, the value goes
in as a float64 tensor instead, so that float64 exports compute what the model computes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from ..nn.container import Sequential
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.normalization import BatchNorm1d, BatchNorm2d
from ..nn.pooling import AvgPool2d, MaxPool2d
from ..nn.shape import Flatten
from ..nn.softmax import LogSoftmax, Softmax
from ..validation import fail
from ._common import join
from ._onnx_graph import WHO, Shape, _Graph, convert, fmt, in_shape, onnx_converter


@onnx_converter(Sequential)
def _sequential(g: _Graph, model: Sequential, path: str, x: str, shape: Shape) -> str:
    for name, layer in model.named_children():
        x = convert(g, layer, join(path, name), x, shape)
        shape = in_shape(join(path, name), layer, shape)
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


@onnx_converter(Softmax, LogSoftmax)
def _softmax(g: _Graph, layer: Any, path: str, x: str, shape: Shape) -> str:
    if not -len(shape) <= layer.dim < len(shape):
        raise fail(
            WHO, f"the input of layer {path!r} ({layer!r})", f"have a dimension {layer.dim}", fmt(shape)
        )
    return g.node(type(layer).__name__, [x], path, axis=layer.dim)


@onnx_converter(Flatten)
def _flatten(g: _Graph, layer: Flatten, path: str, x: str, shape: Shape) -> str:
    out = in_shape(path, layer, shape)
    if layer.start_dim == 1 and len(out) == 2:
        return g.node("Flatten", [x], path, axis=1)  # (N, d1, ..., dk) -> (N, d1 * ... * dk)
    # Reshape: 0 keeps the batch size where it stays first; -1 where it is merged with others.
    start = layer.start_dim + len(shape) if layer.start_dim < 0 else layer.start_dim
    target = [s if s is not None else (0 if start > 0 else -1) for s in out]
    return g.node("Reshape", [x, g.init(join(path, "shape"), target, np.int64)], path)


@onnx_converter(Conv2d)
def _conv2d(g: _Graph, layer: Conv2d, path: str, x: str, shape: Shape) -> str:
    in_shape(path, layer, shape)
    if shape[1] != layer.in_channels:
        raise fail(
            WHO, f"the input of layer {path!r} ({layer!r})", f"have {layer.in_channels} channels", fmt(shape)
        )
    w = g.init(join(path, "weight"), layer.weight.data)
    b = [g.init(join(path, "bias"), layer.bias.data)] if layer.bias is not None else []
    (ph, pw) = layer.padding
    kernel, strides = list(layer.kernel_size), list(layer.stride)
    return g.node("Conv", [x, w, *b], path, kernel_shape=kernel, strides=strides, pads=[ph, pw, ph, pw])


@onnx_converter(MaxPool2d, AvgPool2d)
def _pool2d(g: _Graph, layer: MaxPool2d | AvgPool2d, path: str, x: str, shape: Shape) -> str:
    in_shape(path, layer, shape)
    op = "MaxPool" if isinstance(layer, MaxPool2d) else "AveragePool"
    return g.node(op, [x], path, kernel_shape=list(layer.kernel_size), strides=list(layer.stride))


@onnx_converter(BatchNorm1d, BatchNorm2d)
def _batchnorm(g: _Graph, layer: BatchNorm1d | BatchNorm2d, path: str, x: str, shape: Shape) -> str:
    """Eval mode: (x - running_mean) / sqrt(running_var + eps) * weight + bias."""
    if len(shape) not in layer._ndims or shape[1] != layer.num_features:
        text = layer._shape_text.format(c=layer.num_features)
        raise fail(WHO, f"the input of layer {path!r} ({layer!r})", f"have shape {text}", fmt(shape))
    names = [g.init(join(path, k), getattr(layer, k).data) for k in ("weight", "bias")]
    names.append(g.init(join(path, "running_mean"), layer.running_mean))
    eps = layer.eps
    if g.dtype == np.float32 or float(np.float32(eps)) == eps:
        names.append(g.init(join(path, "running_var"), layer.running_var))
    else:  # epsilon is a float32 attribute: add the float64 eps to the variance here, exactly as forward does
        names.append(g.init(join(path, "running_var_plus_eps"), layer.running_var + g.dtype.type(eps)))
        eps = 0.0
    return g.node("BatchNormalization", [x, *names], path, epsilon=eps)
