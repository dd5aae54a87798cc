"""The ONNX graph under construction and the table of converters, one per layer type.

A converter ``f(graph, layer, path, x, shape) -> output name`` appends the layer's nodes and
initializers for input tensor ``x`` (of ``shape``, None for the batch axis); ``path`` is the layer's
dotted name in the model ("2.0"), which prefixes its initializers ("2.0.weight") and node names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..nn.module import Layer
from ..validation import fail
from ._common import unsupported

Shape = tuple[int | None, ...]
WHO = "to_onnx"


class _Graph:
    """The nodes and initializers of the graph being built, all in one dtype."""

    def __init__(self, onnx: Any, dtype: np.dtype) -> None:
        self.onnx, self.dtype = onnx, dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def init(self, name: str, array: Any, dtype: Any = None) -> str:
        """Add the initializer ``name``: ``array`` in ``dtype`` (default: the graph's). Returns ``name``."""
        value = np.ascontiguousarray(array, dtype=self.dtype if dtype is None else dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: Sequence[str], path: str, suffix: str = "", **attrs: Any) -> str:
        """Add one ``op`` node of layer ``path``; returns its output's name ("/2/1/Gemm_output")."""
        name = "/" + path.replace(".", "/") + f"/{op}{suffix}" if path else f"/{op}{suffix}"
        output = f"{name}_output"
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [output], name=name, **attrs))
        return output


Converter = Callable[[_Graph, Any, str, str, Shape], str]
ONNX_CONVERTERS: dict[type[Layer], Converter] = {}


def onnx_converter(*types: type[Layer]) -> Callable[[Converter], Converter]:
    """Register ``f(graph, layer, path, x, shape) -> output name`` as the converter of ``types``."""

    def register(f: Converter) -> Converter:
        for t in types:
            ONNX_CONVERTERS[t] = f
        return f

    return register


def convert(g: _Graph, layer: Layer, path: str, x: str, shape: Shape) -> str:
    """Append ``layer`` (the one at ``path``) applied to tensor ``x`` of ``shape``; returns its output."""
    f = ONNX_CONVERTERS.get(type(layer))
    if f is None:
        raise unsupported(WHO, path, layer, [t.__name__ for t in ONNX_CONVERTERS])
    return f(g, layer, path, x, shape)


def in_shape(path: str, layer: Layer, shape: Shape) -> Shape:
    """The output shape of ``layer`` for ``shape``, a ValueError naming the layer if it does not fit."""
    try:
        return layer.output_shape(shape)
    except (ValueError, TypeError, IndexError) as e:
        raise fail(
            WHO, f"the input of layer {path!r} ({layer!r})", "fit the layer", f"shape {shape}: {e}"
        ) from e


def fmt(shape: Shape) -> str:
    return "shape (" + ", ".join("batch" if s is None else str(s) for s in shape) + ")"
