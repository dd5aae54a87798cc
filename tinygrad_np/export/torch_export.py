"""``to_torch``: the same model in PyTorch, with copies of the weights and buffers (the two models
share no memory). The state-dict names already match PyTorch's ("0.weight", "2.fc.bias",
"1.running_mean"), so nothing is renamed.

Any model goes through the tracer (trace.py) to a generic ``torch.nn.Module`` that replays the traced
Functions with torch ops (torch_traced.py; one converter per Function in ``TORCH_CONVERTERS``). A tree of
``Sequential``s of the library's layers is given a nicer form: the real ``torch.nn.Sequential`` of the
layers' twins (``torch.nn.Linear``, ...; one function per layer type in ``TORCH_TWINS``), which
trains in PyTorch in either mode and comes back with ``from_torch`` as the same tinygrad_np model.
PyTorch is imported only when a conversion runs.
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
from ..nn.summary import default_input
from ..validation import fail
from . import torch_ops, torch_spatial, torch_transformer  # noqa: F401  (register the converters)
from ._common import example_shape, join, model_dtype, require
from .torch_ops import TORCH_CONVERTERS, torch_converter
from .torch_traced import traced_module
from .trace import trace_model

__all__ = ["TORCH_CONVERTERS", "TORCH_TWINS", "to_torch", "torch_converter", "torch_twin"]

# (torch, layer, path, convert_child) -> torch.nn.Module
Twin = Callable[[Any, Any, str, Callable[[Layer, str], Any]], Any]
TORCH_TWINS: dict[type[Layer], Twin] = {}


def torch_twin(*types: type[Layer]) -> Callable[[Twin], Twin]:
    """Register ``f(torch, layer, path, convert_child) -> torch module`` as the twin of layer ``types``."""

    def register(f: Twin) -> Twin:
        for t in types:
            TORCH_TWINS[t] = f
        return f

    return register


def _tensor(torch: Any, array: np.ndarray) -> Any:
    return torch.from_numpy(np.array(array, copy=True))


def _copy_into(torch: Any, target: Any, array: np.ndarray) -> None:
    with torch.no_grad():
        target.copy_(_tensor(torch, array))


@torch_twin(Sequential)
def _sequential_to(torch: Any, model: Sequential, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return torch.nn.Sequential(*(child(layer, join(path, name)) for name, layer in model.named_children()))


@torch_twin(Linear)
def _linear_to(torch: Any, layer: Linear, path: str, child: Callable[[Layer, str], Any]) -> Any:
    dtype = getattr(torch, str(layer.weight.data.dtype))
    out = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=dtype)
    _copy_into(torch, out.weight, layer.weight.data)
    if layer.bias is not None:
        _copy_into(torch, out.bias, layer.bias.data)
    return out


@torch_twin(ReLU, Sigmoid, Tanh)
def _plain_to(torch: Any, layer: Layer, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return getattr(torch.nn, type(layer).__name__)()


@torch_twin(LeakyReLU)
def _leaky_to(torch: Any, layer: LeakyReLU, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return torch.nn.LeakyReLU(layer.negative_slope)


@torch_twin(Dropout)
def _dropout_to(torch: Any, layer: Dropout, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return torch.nn.Dropout(layer.p)


@torch_twin(Softmax, LogSoftmax)
def _softmax_to(torch: Any, layer: Any, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return getattr(torch.nn, type(layer).__name__)(dim=layer.dim)


@torch_twin(Flatten)
def _flatten_to(torch: Any, layer: Flatten, path: str, child: Callable[[Layer, str], Any]) -> Any:
    return torch.nn.Flatten(layer.start_dim, layer.end_dim)


@torch_twin(MaxPool2d, AvgPool2d)
def _pool_to(torch: Any, layer: Any, path: str, child: Callable[[Layer, str], Any]) -> Any:
    def arg(pair: tuple[int, int]) -> int | tuple[int, int]:
        return pair[0] if pair[0] == pair[1] else pair  # MaxPool2d(2), as it is usually written

    return getattr(torch.nn, type(layer).__name__)(arg(layer.kernel_size), arg(layer.stride))


@torch_twin(Conv2d)
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


@torch_twin(BatchNorm1d, BatchNorm2d)
def _batchnorm_to(torch: Any, layer: Any, path: str, child: Callable[[Layer, str], Any]) -> Any:
    dtype = getattr(torch, str(layer.weight.data.dtype))
    out = getattr(torch.nn, type(layer).__name__)(layer.num_features, layer.eps, layer.momentum, dtype=dtype)
    for name in ("weight", "bias"):
        _copy_into(torch, getattr(out, name), getattr(layer, name).data)
    for name in layer._buffers:  # running_mean, running_var, num_batches_tracked
        _copy_into(torch, getattr(out, name), getattr(layer, name))
    return out


def to_torch(model: Layer, input_shape: Any = None, *, input_dtype: Any = None) -> Any:
    """The equivalent PyTorch model, with copies of the weights and buffers in the model's dtype.

    A tree of Sequentials of the library's layers gives a ``torch.nn.Sequential`` of their twins (nested
    ones kept) in the same train/eval mode. Any other Module (skip connections, shared layers, a Module
    inside a Sequential) is traced for inputs (batch, *input_shape) (default: (in_features,) of its first
    Linear) and gives a ``torch.nn.Module`` holding the parameters and buffers under the same dotted
    names (state dicts match key for key) whose forward replays the trace with torch ops; it computes
    the model's eval-mode function, so with Dropout or BatchNorm it runs in eval mode only.

    A Function without a converter in ``TORCH_CONVERTERS`` is an ``UnsupportedLayerError`` naming it
    and the layer. ``input_dtype``: the input's dtype when not the model's (``np.int64`` token ids: the
    model is then traced). Needs PyTorch (``pip install torch``)."""
    torch = require("torch", "to_torch")
    if not isinstance(model, Layer):
        raise fail(
            "to_torch", "model", "be a tinygrad_np Layer or Module", type(model).__name__, error=TypeError
        )
    dtype = model_dtype("to_torch", model)  # one float32/float64 dtype, or a clear error
    if input_dtype is None and all(type(m) in TORCH_TWINS for m in model.modules()):
        return _twin(torch, model)
    if input_shape is None:
        input_shape = default_input(model)
        if input_shape is None:
            raise fail(
                "to_torch", "input_shape", "be given to trace this model", None, "e.g. (3, 32, 32)", TypeError
            )
    example = example_shape("to_torch", input_shape)
    return traced_module(torch, model, trace_model("to_torch", model, example, dtype, input_dtype))


def _twin(torch: Any, model: Layer) -> Any:
    def child(layer: Layer, path: str) -> Any:
        out = TORCH_TWINS[type(layer)](torch, layer, path, child)
        out.train(layer.training)
        return out

    return child(model, "")
