"""The PyTorch converters of the image and normalisation formulas (``ops.conv``, ``ops.pool``,
``ops.norm``), registered in ``TORCH_CONVERTERS`` on import."""

from __future__ import annotations

from typing import Any

from ..ops import conv, norm, pool
from ..validation import fail
from ._common import UnsupportedLayerError, pair
from .torch_ops import WHO, Replay, torch_converter
from .trace import Node


@torch_converter(conv.Conv2dFunction)
def _conv2d(r: Replay, n: Node) -> Any:
    x, w, b = r.value(n, "x"), r.value(n, "w"), r.value(n, "b")
    return r.F.conv2d(x, w, b, stride=pair(n.args["stride"]), padding=pair(n.args["padding"]))


@torch_converter(pool.MaxPool2dFunction, pool.AvgPool2dFunction)
def _pool2d(r: Replay, n: Node) -> Any:
    f = r.F.max_pool2d if n.fn is pool.MaxPool2dFunction else r.F.avg_pool2d
    return f(r.value(n, "x"), pair(n.args["kernel_size"]), pair(n.args["stride"]))


@torch_converter(norm.BatchNorm, eval_only=True)
def _batchnorm(r: Replay, n: Node) -> Any:
    if n.args["running_mean"] is None:
        rule, got = "normalise with running statistics (eval mode)", "batch statistics"
        raise fail(WHO, f"BatchNorm in {n.where()}", rule, got, error=UnsupportedLayerError)
    mean, var = r.value(n, "running_mean"), r.value(n, "running_var")
    w, b, eps = r.value(n, "w"), r.value(n, "b"), float(n.args["eps"])
    return r.F.batch_norm(r.value(n, "x"), mean, var, w, b, training=False, eps=eps)
