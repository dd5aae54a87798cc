"""``to_torch`` and ``from_torch``: the same model as a ``torch.nn.Sequential``, and back.

The state-dict names already match PyTorch's ("0.weight", "2.fc.bias", "1.running_mean"), so a
conversion builds the twin layer of each layer and copies its arrays (copies: the two models do not
share memory). One function per layer type in ``TORCH_CONVERTERS`` (tinygrad_np -> torch) and in
``_from_torch_table`` (torch -> tinygrad_np); nested Sequentials stay nested. PyTorch is imported
only when a conversion runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..nn.activations import LeakyReLU, ReLU, Sigmoid, Tanh
from ..nn.dropout import Dropout
from ..nn.layer import Layer
from ..nn.linear import Linear
from ..nn.sequential import Sequential
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


# -- torch -> tinygrad_np ---------------------------------------------------------------------------
# (torch module, path, dtype, rng, convert_child) -> Layer
FromTorch = Callable[[Any, str, np.dtype, np.random.Generator, Callable[[Any, str], Layer]], Layer]


def _array(t: Any, dtype: np.dtype) -> np.ndarray:
    return np.array(t.detach().cpu().numpy(), dtype=dtype, copy=True)


def _no_init(shape: tuple[int, ...], rng: Any, dtype: Any) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)  # the weights are copied in right after


def _linear_from(m: Any, path: str, dtype: np.dtype, rng: np.random.Generator, child: Any) -> Layer:
    out = Linear(m.in_features, m.out_features, bias=m.bias is not None, init=_no_init, rng=rng, dtype=dtype)
    out.weight.data = _array(m.weight, dtype)
    if out.bias is not None:
        out.bias.data = _array(m.bias, dtype)
    return out


def _from_torch_table(torch: Any) -> dict[type, FromTorch]:
    nn = torch.nn
    return {
        nn.Sequential: lambda m, path, dt, rng, child: Sequential(
            *(child(sub, join(path, name)) for name, sub in m.named_children())
        ),
        nn.Linear: _linear_from,
        nn.ReLU: lambda m, path, dt, rng, child: ReLU(),
        nn.Sigmoid: lambda m, path, dt, rng, child: Sigmoid(),
        nn.Tanh: lambda m, path, dt, rng, child: Tanh(),
        nn.LeakyReLU: lambda m, path, dt, rng, child: LeakyReLU(m.negative_slope),
        nn.Dropout: lambda m, path, dt, rng, child: Dropout(m.p, rng=rng),
    }


def _torch_dtype(module: Any) -> np.dtype:
    tensors = [*module.parameters(), *module.buffers()]
    kinds = sorted({str(t.dtype).removeprefix("torch.") for t in tensors if t.dtype.is_floating_point})
    if len(kinds) > 1 or (kinds and kinds[0] not in ("float32", "float64")):
        raise fail(
            "from_torch",
            "the module's parameters",
            "share one dtype, float32 or float64",
            kinds,
            "convert with module.float() or module.double()",
            TypeError,
        )
    return np.dtype(kinds[0] if kinds else np.float64)


def from_torch(module: Any, *, rng: np.random.Generator | int | None = None) -> Layer:
    """The tinygrad_np model equivalent to the ``torch.nn`` model ``module`` (a ``torch.nn.Sequential``
    of supported layers, or one such layer), with copies of its weights and buffers, its dtype
    (float32 or float64) and its train/eval mode.

    ``rng`` draws the masks of any Dropout if the model is trained further (default: seed 0).
    A module without a converter is an ``UnsupportedLayerError`` naming it. Needs PyTorch."""
    torch = require("torch", "from_torch")
    if not isinstance(module, torch.nn.Module):
        raise fail("from_torch", "module", "be a torch.nn.Module", type(module).__name__, error=TypeError)
    dtype = _torch_dtype(module)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(0 if rng is None else rng)
    table = _from_torch_table(torch)

    def child(m: Any, path: str) -> Layer:
        f = table.get(type(m))
        if f is None:
            raise unsupported("from_torch", path, m, [t.__name__ for t in table])
        return f(m, path, dtype, gen, child).train(m.training)

    return child(module, "")
