"""``to_torch``: the same model as a ``torch.nn.Sequential``, with copies of the weights and buffers.

The state-dict names already match PyTorch's ("0.weight", "2.fc.bias", "1.running_mean"), so the
conversion builds each layer's PyTorch twin and copies its arrays (the two models share no memory).
One function per layer type in ``TORCH_CONVERTERS``; nested Sequentials stay nested. PyTorch is
imported only when a conversion runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from ..nn.container import Sequential
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.module import Layer
from ..nn.normalization import BatchNorm1d, BatchNorm2d
from ..nn.pooling import AvgPool2d, MaxPool2d
from ..nn.shape import Flatten
from ..nn.softmax import LogSoftmax, Softmax
from ..validation import fail
from ._common import join, model_dtype, require, unsupported

# (torch, layer, path, convert_child) -> torch.nn.Module
ToTorch = Callable[[Any, Any, str, Callable[[Layer, str], Any]], Any]
TORCH_CONVERTERS: dict[type[Layer], ToTorch] = {}


def torch_converter(*types: type[Layer]) -> Callable[[ToTorch], ToTorch]:
    """Register ``f(torch, layer, path, convert_child) -> torch module`` as the converter of ``types``."""

    def register(f: ToTorch) -> ToTorch:
        for t in types:
            TORCH_CONVERTERS[t] = f
        return f

    return register


def _tensor(torch: Any, array: np.ndarray) -> Any:
    return torch.from_numpy(np.array(array, copy=True))


def _copy_into(torch: Any, target: Any, array: np.ndarray) -> None:
    with torch.no_grad():
        target.copy_(_tensor(torch, array))


@torch_converter(Sequential)
def _sequential_to(torch: Any, model: Sequential, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return torch.nn.Sequential(*(child(layer, join(path, name)) for name, layer in model.named_children()))


@torch_converter(Linear)
def _linear_to(torch: Any, layer: Linear, path: str, child: Callable[[Layer, str], Any]) -> Any:
    dtype = getattr(torch, str(layer.weight.data.dtype))
    out = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=dtype)
    _copy_into(torch, out.weight, layer.weight.data)
    if layer.bias is not None:
        _copy_into(torch, out.bias, layer.bias.data)
    return out


@torch_converter(ReLU, Sigmoid, Tanh)
def _plain_to(torch: Any, layer: Layer, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return getattr(torch.nn, type(layer).__name__)()


@torch_converter(LeakyReLU)
def _leaky_to(torch: Any, layer: LeakyReLU, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return torch.nn.LeakyReLU(layer.negative_slope)


@torch_converter(Dropout)
def _dropout_to(torch: Any, layer: Dropout, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return torch.nn.Dropout(layer.p)


@torch_converter(Softmax, LogSoftmax)
def _softmax_to(torch: Any, layer: Any, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return getattr(torch.nn, type(layer).__name__)(dim=layer.dim)


@torch_converter(Flatten)
def _flatten_to(torch: Any, layer: Flatten, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return torch.nn.Flatten(layer.start_dim, layer.end_dim)


@torch_converter(MaxPool2d, AvgPool2d)
def _pool_to(torch: Any, layer: Any, path: str, child: Callable[[Layer, str], Any]) -> Any:
    def arg(pair: tuple[int, int]) -> int | tuple[int, int]:
        return pair[0] if pair[0] == pair[1] else pair  # MaxPool2d(2), as it is usually written

    return getattr(torch.nn, type(layer).__name__)(arg(layer.kernel_size), arg(layer.stride))


@torch_converter(Conv2d)
def _conv_to(torch: Any, layer: Conv2d, path: str, child: Callable[[Layer, str], Any]) -> Any:
    w = layer.weight.data
    out = torch.nn.Conv2d(
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        layer.stride,
        layer.padding,
        bias=layer.bias is not None,
        dtype=getattr(torch, str(w.dtype)),
    )
    _copy_into(torch, out.weight, w)
    if layer.bias is not None:
        _copy_into(torch, out.bias, layer.bias.data)
    return out


@torch_converter(BatchNorm1d, BatchNorm2d)
def _batchnorm_to(torch: Any, layer: Any, path: str, child: Callable[[Layer, str], Any]) -> Any:
    dtype = getattr(torch, str(layer.weight.data.dtype))
    out = getattr(torch.nn, type(layer).__name__)(layer.num_features, layer.eps, layer.momentum, dtype=dtype)
    for name in ("weight", "bias"):
        _copy_into(torch, getattr(out, name), getattr(layer, name).data)
    for name in layer._buffers:  # running_mean, running_var, num_batches_tracked
        _copy_into(torch, getattr(out, name), getattr(layer, name))
    return out


def to_torch(model: Layer) -> Any:
    """The equivalent ``torch.nn`` model (a ``Sequential`` for a Sequential, nested ones kept), with
    copies of the weights and buffers in the model's dtype, and the same train/eval mode.

    A layer without a converter in ``TORCH_CONVERTERS`` is an ``UnsupportedLayerError`` naming it.
    Needs PyTorch (``pip install torch``)."""
    torch = require("torch", "to_torch")
    if not isinstance(model, Layer):
        raise fail("to_torch", "model", "be a tinygrad_np Layer", type(model).__name__, error=TypeError)
    model_dtype("to_torch", model)  # one float32/float64 dtype, or a clear error

    def child(layer: Layer, path: str) -> Any:
        f = TORCH_CONVERTERS.get(type(layer))
        if f is None:
            raise unsupported("to_torch", path, layer, [t.__name__ for t in TORCH_CONVERTERS])
        out = f(torch, layer, path, child)
        out.train(layer.training)
        return out

    return child(model, "")
