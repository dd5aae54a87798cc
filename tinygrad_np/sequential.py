"""Sequential: layers chained in order; backward runs them in reverse."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, overload

import numpy as np

from . import serialization
from .layer import Layer
from .parameter import Parameter


class Sequential(Layer):
    """``Sequential(layer0, layer1, ...)``: ``forward`` feeds each layer's output to the next.

    Parameters are named ``"<position>.<name>"`` as in PyTorch (``"0.weight"``, ``"0.bias"``,
    ``"2.weight"``, ...), so a state dict of the same PyTorch ``nn.Sequential`` (``.numpy()``-converted)
    loads as it is.
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {i} is a {type(layer).__name__}, not a Layer")
        self.layers: list[Layer] = list(layers)

    # -- forward and backward ----------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        for i, layer in enumerate(self.layers):
            try:
                x = layer(x)
            except (ValueError, TypeError) as e:
                # Say where in the model it happened; the layer's own message says what and why.
                raise _in_context(e, f"layer {i}") from e
        return x

    def backward(self, grad: np.ndarray, input_grad: bool = False) -> np.ndarray | None:
        """Backpropagate ``grad`` = dloss/doutput through every layer, setting each parameter's ``.grad``.

        Returns dloss/dx only if ``input_grad``; otherwise returns None and stops at the first layer
        that has parameters, skipping its dloss/dx product (the costliest one in a wide first layer).
        """
        if not input_grad:
            with_params = [i for i, layer in enumerate(self.layers) if layer.parameters()]
            stop = with_params[0] if with_params else len(self.layers)
        else:
            stop = 0
        for i in range(len(self.layers) - 1, stop - 1, -1):
            grad = self.layers[i].backward(grad, input_grad=input_grad or i > stop)
        return grad if input_grad else None

    # -- the container -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    @overload
    def __getitem__(self, i: int) -> Layer: ...
    @overload
    def __getitem__(self, i: slice) -> Sequential: ...
    def __getitem__(self, i: int | slice) -> Layer | Sequential:
        if isinstance(i, slice):
            return Sequential(*self.layers[i])  # shares the layer objects, as PyTorch does
        return self.layers[i]

    def append(self, layer: Layer) -> Sequential:
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.append: a {type(layer).__name__} is not a Layer")
        self.layers.append(layer)
        return self

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [
            (f"{i}.{name}", p) for i, layer in enumerate(self.layers) for name, p in layer.named_parameters()
        ]

    def train(self, mode: bool = True) -> Sequential:
        self.training = bool(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def eval(self) -> Sequential:
        return self.train(False)

    def to(self, dtype: Any) -> Sequential:
        for layer in self.layers:
            layer.to(dtype)
        return self

    @property
    def dtype(self) -> np.dtype | None:
        """The dtype of the first parameter (None for a model without parameters)."""
        params = self.parameters()
        return params[0].dtype if params else None

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        for layer in self.layers:
            input_shape = layer.output_shape(input_shape)
        return input_shape

    # -- state -------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """``{"0.weight": array, "0.bias": array, ...}``: copies, so later training does not change them."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, Any]) -> Sequential:
        """Load ``state`` strictly and all-or-nothing: every key must be present, none extra, every shape
        equal; values are cast to each parameter's dtype. A rejected dict leaves the model unchanged."""
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if missing or unexpected:
            raise StateDictKeyError(
                f"state dict does not match the model: missing keys {missing}, "
                f"unexpected keys {unexpected} (the model has {list(params)})"
            )
        new = {}
        for key, p in params.items():
            value = np.asarray(state[key])
            if value.shape != p.shape:
                raise ValueError(
                    f"state dict key {key!r}: shape {value.shape} in the checkpoint, {p.shape} in the model"
                )
            if not (np.issubdtype(value.dtype, np.number) or value.dtype == np.bool_):
                raise TypeError(f"state dict key {key!r}: dtype {value.dtype} is not numeric")
            new[key] = value.astype(p.dtype, copy=True)
        for key, p in params.items():
            p.data = new[key]
            p.grad = None
        return self

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the weights to an ``.npz`` file atomically (no pickle)."""
        serialization.save(self.state_dict(), path)

    def load(self, path: str | os.PathLike[str]) -> Sequential:
        """Load weights written by ``save`` (checked like ``load_state_dict``); returns self."""
        state = serialization.load(path)
        try:
            return self.load_state_dict(state)
        except (KeyError, ValueError, TypeError) as e:
            raise _in_context(e, os.fspath(path)) from e

    # -- printing ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        lines = [f"  ({i}): {layer!r}".replace("\n", "\n  ") for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)" if lines else "Sequential()"

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of the layers with output shapes and parameter counts, and the totals.

        ``input_shape`` excludes the batch dimension; by default it is read off the first layer that
        has ``in_features``.
        """
        if input_shape is None:
            first = next((la for la in self.layers if hasattr(la, "in_features")), None)
            input_shape = (first.in_features,) if first is not None else None  # type: ignore[union-attr]
        shape: tuple[int | None, ...] | None = (None, *input_shape) if input_shape else None
        rows = [
            ("#", "Layer (type)", "Output shape", "Param #"),
            ("", "input", _fmt_shape(shape), "0"),
        ]
        total = 0
        for i, layer in enumerate(self.layers):
            n = sum(p.size for p in layer.parameters())
            total += n
            shape = layer.output_shape(shape) if shape is not None else None
            rows.append((str(i), repr(layer), _fmt_shape(shape), f"{n:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        line = "  ".join("-" * w for w in widths)

        def fmt(r: tuple[str, ...]) -> str:
            return "  ".join(
                r[c].rjust(widths[c]) if c in (0, 3) else r[c].ljust(widths[c]) for c in range(4)
            ).rstrip()

        dtype = self.dtype
        nbytes = total * (dtype.itemsize if dtype is not None else 0)
        out = [fmt(rows[0]), line, *(fmt(r) for r in rows[1:]), line]
        out.append(f"Total params: {total:,} ({dtype}, {nbytes / 2**20:.2f} MiB)")
        return "\n".join(out)


class StateDictKeyError(KeyError):
    """A state dict with missing or unexpected keys. (Printed as its message, not as a quoted key.)"""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _fmt_shape(shape: tuple[int | None, ...] | None) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("batch" if s is None else str(s) for s in shape) + ")"


def _in_context(e: Exception, where: str) -> Exception:
    """The same kind of error with ``where`` before its message (or ``e`` itself if it can't)."""
    msg = e.args[0] if isinstance(e, KeyError) and len(e.args) == 1 else str(e)
    try:
        return type(e)(f"{where}: {msg}")
    except Exception:
        return e
