"""``from_torch``: a PyTorch model back in tinygrad_np, two ways.

- ``from_torch(module)`` builds the tinygrad_np twin of a ``torch.nn.Sequential`` of supported layers
  (one function per torch layer type in ``_from_torch_table``, built when called since torch is imported
  lazily). A torch setting tinygrad_np does not have (dilation, groups, padding in pooling, ceil_mode,
  ...) is an ``UnsupportedLayerError`` naming the layer and the setting.
- ``from_torch(module, into=model)`` loads the module's state dict into an existing tinygrad_np model
  by names, strictly and all-or-nothing: any model, e.g. a ``Module`` subclass exported with
  ``to_torch``, trained in PyTorch and brought back.
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
from ..nn.state_dict import in_context
from ..validation import fail
from ._common import UnsupportedLayerError, join, names, require, where

UNSUPPORTED = UnsupportedLayerError
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


def _conv_from(m: Any, path: str, dtype: np.dtype, rng: np.random.Generator, child: Any) -> Layer:
    _only(m, path, groups=1, dilation=1, padding_mode="zeros")
    if isinstance(m.padding, str):
        raise fail(
            *_where(m, path), "have padding as a pair of ints", f"padding={m.padding!r}", error=UNSUPPORTED
        )
    out = Conv2d(
        m.in_channels,
        m.out_channels,
        m.kernel_size,
        m.stride,
        m.padding,
        bias=m.bias is not None,
        init=_no_init,
        rng=rng,
        dtype=dtype,
    )
    out.weight.data = _array(m.weight, dtype)
    if out.bias is not None:
        out.bias.data = _array(m.bias, dtype)
    return out


def _pool_from(m: Any, path: str, dtype: np.dtype, rng: np.random.Generator, child: Any) -> Layer:
    if type(m).__name__ == "MaxPool2d":
        _only(m, path, padding=0, dilation=1, ceil_mode=False, return_indices=False)
        return MaxPool2d(m.kernel_size, m.stride)
    _only(m, path, padding=0, ceil_mode=False, divisor_override=None)
    return AvgPool2d(m.kernel_size, m.stride)


def _batchnorm_from(m: Any, path: str, dtype: np.dtype, rng: np.random.Generator, child: Any) -> Layer:
    _only(m, path, affine=True, track_running_stats=True)
    cls = BatchNorm1d if type(m).__name__ == "BatchNorm1d" else BatchNorm2d
    out = cls(m.num_features, m.eps, m.momentum, dtype=dtype)
    out.weight.data, out.bias.data = _array(m.weight, dtype), _array(m.bias, dtype)
    out.running_mean, out.running_var = _array(m.running_mean, dtype), _array(m.running_var, dtype)
    out.num_batches_tracked = np.array(m.num_batches_tracked.item(), dtype=np.int64)
    return out


def _only(m: Any, path: str, **settings: Any) -> None:
    """An UnsupportedLayerError unless each attribute in ``settings`` (each entry of a pair) is the value."""
    for name, value in settings.items():
        got = getattr(m, name)
        if any(v != value for v in (got if isinstance(got, tuple | list) else (got,))):
            rule = f"have {name}={value!r} (the only value tinygrad_np supports)"
            raise fail(*_where(m, path), rule, f"{name}={got!r}", error=UNSUPPORTED)


def _where(m: Any, path: str) -> tuple[str, str]:
    """(who, what) of an error about the torch module ``m`` at ``path``: "layer '1' (a Conv2d)"."""
    return "from_torch", f"{where(path)} (a {type(m).__name__})"


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
        nn.Softmax: lambda m, path, dt, rng, child: Softmax(_dim(m, path)),
        nn.LogSoftmax: lambda m, path, dt, rng, child: LogSoftmax(_dim(m, path)),
        nn.Flatten: lambda m, path, dt, rng, child: Flatten(m.start_dim, m.end_dim),
        nn.Conv2d: _conv_from,
        nn.MaxPool2d: _pool_from,
        nn.AvgPool2d: _pool_from,
        nn.BatchNorm1d: _batchnorm_from,
        nn.BatchNorm2d: _batchnorm_from,
    }


def _dim(m: Any, path: str) -> int:
    if m.dim is None:  # PyTorch's legacy implicit dimension
        fix = "give the dimension explicitly, e.g. Softmax(dim=1)"
        raise fail(*_where(m, path), "have a dim", "dim=None", fix, UNSUPPORTED)
    return int(m.dim)


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


def _load_into(module: Any, model: Any) -> Layer:
    """``model`` with ``module``'s state dict loaded (strict, all-or-nothing, cast to model's dtype)."""
    if not isinstance(model, Layer):
        raise fail("from_torch", "into", "be a tinygrad_np Module", type(model).__name__, error=TypeError)
    state = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    try:
        return model.load_state_dict(state)
    except (KeyError, ValueError, TypeError) as e:
        raise in_context(e, "from_torch") from e


def from_torch(
    module: Any, into: Layer | None = None, *, rng: np.random.Generator | int | None = None
) -> Layer:
    """The tinygrad_np model equivalent to the ``torch.nn`` model ``module``.

    Without ``into``: ``module`` is a ``torch.nn.Sequential`` of supported layers (or one such layer);
    the result is a new tinygrad_np model with copies of its weights and buffers, its dtype (float32 or
    float64) and its train/eval mode. ``rng`` draws the masks of any Dropout if the model is trained
    further (default: seed 0). A module without a converter is an ``UnsupportedLayerError`` naming it.

    With ``into`` (a tinygrad_np Module of the same structure, e.g. the model ``to_torch`` traced): the
    module's state dict is loaded into it by names, strictly (the same keys and shapes) and
    all-or-nothing, cast to its dtype; its mode is left alone. Returns ``into``. Needs PyTorch."""
    torch = require("torch", "from_torch")
    if not isinstance(module, torch.nn.Module):
        raise fail("from_torch", "module", "be a torch.nn.Module", type(module).__name__, error=TypeError)
    if into is not None:
        return _load_into(module, into)
    dtype = _torch_dtype(module)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(0 if rng is None else rng)
    table = _from_torch_table(torch)

    def child(m: Any, path: str) -> Layer:
        f = table.get(type(m))
        if f is None:
            rule = f"be a layer with a converter ({names(table)})"
            fix = "load its weights into a tinygrad_np model of its structure: from_torch(module, into=model)"
            raise fail("from_torch", where(path), rule, f"a {type(m).__name__}", fix, UNSUPPORTED)
        return f(m, path, dtype, gen, child).train(m.training)

    return child(module, "")
