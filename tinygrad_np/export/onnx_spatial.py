"""The ONNX converters of the image and normalisation formulas: ``ops.conv.Conv2dFunction``, ``ops.pool``'s
MaxPool2d and AvgPool2d, and ``ops.norm.BatchNorm`` (eval: the running statistics as initializers),
registered in ``ONNX_CONVERTERS`` on import."""

from __future__ import annotations

import numpy as np

from ..ops import conv, norm, pool
from ..validation import fail
from ._common import UnsupportedLayerError, join, pair
from ._onnx_graph import WHO, _Graph, onnx_converter
from .trace import Node, Ref


@onnx_converter(conv.Conv2dFunction)
def _conv2d(g: _Graph, n: Node) -> str:
    b = [] if n.args["b"] is None else [g.value(n, "b")]
    kernel = list(g.trace.dims(n.args["w"])[2:])
    ph, pw = pair(n.args["padding"])
    strides = pair(n.args["stride"])
    inputs = [g.value(n, "x"), g.value(n, "w"), *b]
    return g.node("Conv", inputs, n.path, kernel_shape=kernel, strides=strides, pads=[ph, pw, ph, pw])


@onnx_converter(pool.MaxPool2dFunction, pool.AvgPool2dFunction)
def _pool2d(g: _Graph, n: Node) -> str:
    op = "MaxPool" if n.fn is pool.MaxPool2dFunction else "AveragePool"
    kernel, strides = pair(n.args["kernel_size"]), pair(n.args["stride"])
    return g.node(op, [g.value(n, "x")], n.path, kernel_shape=kernel, strides=strides)


@onnx_converter(norm.BatchNorm)
def _batchnorm(g: _Graph, n: Node) -> str:
    """Eval mode: (x - running_mean) / sqrt(running_var + eps) * weight + bias."""
    if n.args["running_mean"] is None:
        rule, got = "normalise with running statistics (eval mode)", "batch statistics"
        raise fail(WHO, f"BatchNorm in {n.where()}", rule, got, error=UnsupportedLayerError)
    channels = g.trace.dims(n.args["running_mean"])[0]
    w = g.value(n, "w") if n.args["w"] is not None else g.init(join(n.path, "ones"), np.ones(channels))
    b = g.value(n, "b") if n.args["b"] is not None else g.init(join(n.path, "zeros"), np.zeros(channels))
    names = [w, b, g.value(n, "running_mean")]
    eps = float(n.args["eps"])
    if g.dtype == np.float32 or float(np.float32(eps)) == eps:
        names.append(g.value(n, "running_var"))
    else:  # epsilon is a float32 attribute: add the float64 eps to the variance here, exactly as forward does
        var, value = n.args["running_var"], g.trace.constant(n.args["running_var"])
        if value is None:
            rule = "have its running variance as a parameter, buffer or constant"
            raise fail(WHO, f"BatchNorm in {n.where()}", rule, "a computed one", error=UnsupportedLayerError)
        named = isinstance(var, Ref) and var.kind == "buffer"
        name = f"{var.key}_plus_eps" if named else join(n.path, "running_var_plus_eps")
        names.append(g.init(name, value + g.dtype.type(eps)))
        eps = 0.0
    return g.node("BatchNormalization", [g.value(n, "x"), *names], n.path, epsilon=eps)
