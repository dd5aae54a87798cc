"""Layer: the base class, and the tree every model is.

A layer's ``forward`` keeps in a cache what its ``backward`` needs. A layer may hold Parameters,
buffers (arrays that are saved but not trained, e.g. BatchNorm's running statistics) and child
layers; parameters, buffers, state dicts, saving, dtype casts and train/eval modes all walk that
tree, with PyTorch's dotted names ("0.weight", "2.fc.bias").
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

from .. import serialization
from ..autograd.tensor import Tensor
from .graph import layer_node
from .parameter import Parameter

L = TypeVar("L", bound="Layer")


class StateDictKeyError(KeyError):
    """A state dict with missing or unexpected keys. (Printed as its message, not as a quoted key.)"""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Layer:
    """Base class of every layer and model.

    Subclasses implement ``forward(x)`` (storing what backward needs in ``self._cache``) and
    ``backward(grad_out, input_grad=True)``, which sets ``.grad`` on the layer's parameters and returns
    dloss/dx (or ``None`` when ``input_grad`` is False). Backward only reads the cache, so calling it twice
    gives the same result. ``_buffers`` names the array attributes saved in the state dict but never
    trained.
    """

    _buffers: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.training: bool = True
        self._cache: Any = None

    # -- the two methods every layer defines -------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def __call__(self, x: Any) -> Any:
        # An ndarray runs forward as it is; a Tensor records one graph node whose backward is this
        # layer's backward (see nn/graph.py). The isinstance test is all the array path pays.
        if isinstance(x, Tensor):
            return self._graph_call(x)
        return self.forward(x)

    def _graph_call(self, x: Tensor) -> Tensor:
        """``self(x)`` for a Tensor: one node (containers override this to record their children)."""
        return layer_node(self, x)

    def backward_from(self, loss_fn: Any, input_grad: bool = False) -> np.ndarray | None:
        """Backpropagate the loss ``loss_fn`` last computed on this layer's output:
        ``self.backward(loss_fn.backward(), input_grad)`` (Sequential adds the Sigmoid + BCELoss shortcut)."""
        return self.backward(loss_fn.backward(), input_grad=input_grad)

    # -- the tree ----------------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Layer]]:
        """The direct sub-layers, ``(attribute name, layer)``, in the order they were assigned."""
        for name, value in vars(self).items():
            if isinstance(value, Layer):
                yield name, value

    def children(self) -> Iterator[Layer]:
        return (layer for _, layer in self.named_children())

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Layer]]:
        """This layer (named ``prefix``, "" at the root) and every layer below it, depth first; a
        layer used twice is listed once unless ``remove_duplicate=False`` (as in PyTorch)."""
        seen: set[int] = set()
        stack: list[tuple[str, Layer]] = [(prefix, self)]
        while stack:
            name, layer = stack.pop()
            if remove_duplicate and id(layer) in seen:
                continue
            seen.add(id(layer))
            yield name, layer
            kids = [(f"{name}.{k}" if name else k, c) for k, c in layer.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Layer]:
        return (layer for _, layer in self.named_modules())

    def _own_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield name, value

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``[(dotted name, Parameter), ...]``, each Parameter once even when shared."""
        out, seen = [], set()
        for prefix, layer in self.named_modules():
            for name, p in layer._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((f"{prefix}.{name}" if prefix else name, p))
        return out

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        """``[(dotted name, array), ...]`` of the buffers (saved, never trained)."""
        return [
            (f"{prefix}.{name}" if prefix else name, getattr(layer, name))
            for prefix, layer, name in self._buffer_slots()
        ]

    def _buffer_slots(self, remove_duplicate: bool = True) -> list[tuple[str, Layer, str]]:
        return [
            (prefix, layer, name)
            for prefix, layer in self.named_modules(remove_duplicate=remove_duplicate)
            for name in layer._buffers
        ]

    def _state_slots(self) -> dict[str, tuple[np.ndarray, Parameter | None]]:
        """Every state-dict key with its current array and Parameter (None for a buffer). A layer
        used twice appears under each of its names, as in PyTorch's state dict."""
        slots: dict[str, tuple[np.ndarray, Parameter | None]] = {}
        for prefix, layer in self.named_modules(remove_duplicate=False):  # PyTorch's order: per module,
            dot = f"{prefix}." if prefix else ""  # its parameters, then its buffers
            for name, p in layer._own_parameters():
                slots[dot + name] = (p.data, p)
            for name in layer._buffers:
                slots[dot + name] = (getattr(layer, name), None)
        return slots

    def zero_grad(self) -> None:
        """Forget the gradients (``grad = None``); backward overwrites them anyway."""
        for p in self.parameters():
            p.grad = None

    # -- modes and dtype ---------------------------------------------------------------------------
    def train(self: L, mode: bool = True) -> L:
        """Training mode for this layer and every layer below (``mode=False``: evaluation); returns self."""
        for layer in self.modules():
            layer.training = bool(mode)
        return self

    def eval(self: L) -> L:
        """Evaluation mode: e.g. Dropout becomes the identity. Returns self."""
        return self.train(False)

    def to(self: L, dtype: Any) -> L:
        """Cast every parameter and floating-point buffer to ``dtype`` (e.g. ``np.float32``); drops
        gradients and caches."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{self._name()}.to(): dtype must be a floating-point type, got {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        for layer in self.modules():
            for name in layer._buffers:
                value = getattr(layer, name)
                if value.dtype.kind == "f":
                    setattr(layer, name, value.astype(dtype))
            layer._cache = None
        return self

    @property
    def dtype(self) -> np.dtype | None:
        """The dtype of the first parameter (None for a layer without parameters)."""
        params = self.parameters()
        return params[0].dtype if params else None

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """Shape of the output for an input of ``input_shape`` (``None`` for the batch dimension)."""
        return input_shape

    # -- state -------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """``{"0.weight": array, ..., "1.running_mean": array}``: copies, so training does not change them."""
        return {name: np.array(value, copy=True) for name, (value, _) in self._state_slots().items()}

    def load_state_dict(self: L, state: Mapping[str, Any]) -> L:
        """Load ``state`` strictly and all-or-nothing: every key present, none extra, every shape equal,
        values finite in the model's dtype. A rejected dict leaves the model unchanged."""
        targets = self._state_slots()
        self._check_shapes({k: np.shape(v) for k, v in state.items()}, targets)
        new = {
            key: _converted(self._name(), key, state[key], current) for key, (current, _) in targets.items()
        }
        for key, (_, p) in targets.items():
            if p is not None:
                p.data, p.grad = new[key], None
        for prefix, layer, name in self._buffer_slots(remove_duplicate=False):
            setattr(layer, name, new[f"{prefix}.{name}" if prefix else name])
        return self

    def check_shapes(self, shapes: Mapping[str, tuple[int, ...]]) -> None:
        """Raise as ``load_state_dict`` would for a state with these names and shapes (no arrays needed:
        a file's headers are checked before its arrays are read)."""
        self._check_shapes(shapes, self._state_slots())

    def _check_shapes(
        self, shapes: Mapping[str, tuple[int, ...]], targets: dict[str, tuple[np.ndarray, Parameter | None]]
    ) -> None:
        missing = [k for k in targets if k not in shapes]
        unexpected = [k for k in shapes if k not in targets]
        if missing or unexpected:
            raise StateDictKeyError(
                f"{self._name()}.load_state_dict: the state dict must have the model's keys {list(targets)}, "
                f"got missing keys {missing} and unexpected keys {unexpected}"
            )
        for key, (current, _) in targets.items():
            if tuple(shapes[key]) != current.shape:
                raise ValueError(
                    f"{self._name()}.load_state_dict: {key!r} must have shape {current.shape}, "
                    f"got {tuple(shapes[key])}"
                )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state dict to an ``.npz`` file atomically (no pickle)."""
        serialization.save(self.state_dict(), path)

    def load(self: L, path: str | os.PathLike[str]) -> L:
        """Load a file written by ``save`` (checked like ``load_state_dict``); returns self."""
        header = serialization.read_header(path)  # a wrong file is rejected before any array is read
        try:
            self.check_shapes({k: a.shape for k, a in header.items()})
            return self.load_state_dict(serialization.load(path))
        except (KeyError, ValueError, TypeError) as e:
            raise in_context(e, os.fspath(path)) from e

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of the layers (nested ones indented) with output shapes and parameter counts."""
        from .summary import summary

        return summary(self, input_shape)

    # -- helpers for subclasses --------------------------------------------------------------------
    def _name(self) -> str:
        return type(self).__name__

    def _check_input(self, x: Any) -> np.ndarray:
        """Return ``x`` as a floating-point array, or raise a TypeError saying how to convert it."""
        x = np.asarray(x)
        # dtype.kind == "f" is np.issubdtype(dtype, np.floating) at a fraction of the cost: this runs in
        # every layer on every call, so it shows in small-batch training.
        if x.dtype.kind != "f":
            hint = " (for 8-bit images: x.astype(np.float64) / 255)" if x.dtype == np.uint8 else ""
            raise TypeError(
                f"{self!r}: input must be a floating-point array, got dtype {x.dtype}; "
                f"convert with x.astype(np.float64){hint}"
            )
        return x

    def _cached(self) -> Any:
        """The cache left by forward, or a RuntimeError naming the layer."""
        if self._cache is None:
            raise RuntimeError(f"{self!r}.backward() called before forward(): run forward first")
        return self._cache

    def _check_grad(self, grad_out: Any, out_shape: tuple[int, ...]) -> np.ndarray:
        grad_out = np.asarray(grad_out)
        if grad_out.shape != out_shape:
            raise ValueError(
                f"{self!r}.backward(): grad_out must have the shape of the last output {out_shape}, "
                f"got {grad_out.shape}"
            )
        return grad_out

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        kids = list(self.named_children())
        if not kids:
            return f"{self._name()}({self.extra_repr()})"
        lines = [f"  ({k}): {c!r}".replace("\n", "\n  ") for k, c in kids]
        head = f"{self._name()}({self.extra_repr()}"
        return head + "\n" + "\n".join(lines) + "\n)"


def _converted(who: str, key: str, value: Any, current: np.ndarray) -> np.ndarray:
    """``value`` (its shape already checked against ``current``'s) checked for real numbers, finite in
    ``current``'s dtype, as a copy of that dtype."""
    value = np.asarray(value)
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{who}.load_state_dict: {key!r} must hold real numbers, got dtype {value.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = value.astype(current.dtype, copy=True)
    if out.dtype.kind == "f" and not np.all(np.isfinite(out)):
        raise ValueError(
            f"{who}.load_state_dict: {key!r} must be finite in {current.dtype}, got NaN, inf or a value "
            f"too large for {current.dtype}"
        )
    return out


def in_context(e: Exception, where: str) -> Exception:
    """The same kind of error with ``where`` before its message (or ``e`` itself if it can't)."""
    msg = e.args[0] if isinstance(e, KeyError) and len(e.args) == 1 else str(e)
    try:
        return type(e)(f"{where}: {msg}")
    except Exception:
        return e
