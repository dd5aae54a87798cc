"""The ONNX graph under construction and the table of converters, one per Function.

A converter ``f(g, node) -> output name`` appends the ONNX nodes computing one traced ``Node`` (see
trace.py) and returns the name of its output. It reads the node's settings from ``node.args`` and gets
the ONNX name of an input with ``g.value(node, "x")``: the model's input is "input", a parameter or
buffer an initializer under its dotted name ("0.weight", "1.running_mean"), an earlier node its output,
and a constant a new initializer in the node's dtype. ONNX node names follow the module path
("/2/fc/Gemm"), made unique where a shared layer runs twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..validation import fail
from ._common import UnsupportedLayerError, join, names
from .trace import Node, Ref, Trace

WHO = "to_onnx"


class _Graph:
    """The nodes and initializers of the graph being built for ``trace``, at ONNX ``opset``."""

    def __init__(self, onnx: Any, trace: Trace, opset: int) -> None:
        self.onnx, self.trace, self.opset, self.dtype = onnx, trace, opset, trace.dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.outputs: dict[int, str] = {}  # node index -> ONNX name of its output
        self._names: set[str] = {"input", "output"}
        self._inits: dict[str, np.ndarray] = {}
        self._refs: dict[Ref, str] = {}  # parameters and buffers already added

    def _unique(self, name: str) -> str:
        out, k = name, 0
        while out in self._names:
            k += 1
            out = f"{name}_{k}"
        self._names.add(out)
        return out

    def init(self, name: str, array: Any, dtype: Any = None) -> str:
        """Add the initializer ``name`` (suffixed if the name is taken by another value): ``array`` in
        ``dtype`` (default: the graph's). Returns its name."""
        value = np.array(array, dtype=self.dtype if dtype is None else dtype, order="C")  # 0-d stays 0-d
        if (
            name in self._inits
            and self._inits[name].dtype == value.dtype
            and np.array_equal(self._inits[name], value)
        ):
            return name  # the same value again (a shared layer): one initializer
        name = self._unique(name)
        self._inits[name] = value
        self.initializers.append(self.onnx.numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: Sequence[str], path: str, **attrs: Any) -> str:
        """Add one ``op`` node for the module at ``path``; returns its output's name ("/2/1/Gemm_output")."""
        name = self._unique("/" + path.replace(".", "/") + f"/{op}" if path else f"/{op}")
        output = self._unique(f"{name}_output")
        self.nodes.append(self.onnx.helper.make_node(op, list(inputs), [output], name=name, **attrs))
        return output

    def ref(self, r: Ref) -> str:
        """The ONNX name of a traced tensor."""
        if r.kind == "input":
            return "input"
        if r.kind == "node":
            return self.outputs[r.key]
        if r not in self._refs:
            value = self.trace.params[r.key].data if r.kind == "param" else self.trace.buffers[r.key]
            self._refs[r] = self.init(r.key, value, value.dtype)
        return self._refs[r]

    def value(self, n: Node, arg: str) -> str:
        """The ONNX name of ``n``'s input ``arg``: a traced tensor, or a constant made an initializer."""
        v = n.args[arg]
        return self.ref(v) if isinstance(v, Ref) else self.init(join(n.path, arg), v)

    def values(self, n: Node, arg: str) -> list[str]:
        """The ONNX names of the items of ``n``'s tuple input ``arg`` (Cat's and Stack's arrays)."""
        return [
            self.ref(v) if isinstance(v, Ref) else self.init(join(n.path, f"{arg}{i}"), v)
            for i, v in enumerate(n.args[arg])
        ]

    def ints(self, n: Node, name: str, values: Sequence[int]) -> str:
        """An int64 initializer (shapes, axes, indices) for node ``n``."""
        return self.init(join(n.path, name), np.asarray(values, dtype=np.int64), np.int64)


Converter = Callable[[_Graph, Node], str]
ONNX_CONVERTERS: dict[type[Function], Converter] = {}


def onnx_converter(*functions: type[Function]) -> Callable[[Converter], Converter]:
    """Register ``f(graph, node) -> output name`` as the ONNX converter of ``functions``."""

    def register(f: Converter) -> Converter:
        for fn in functions:
            ONNX_CONVERTERS[fn] = f
        return f

    return register


def convert(g: _Graph) -> str:
    """Append every node of ``g.trace``; returns the name of the model's output."""
    for i, n in enumerate(g.trace.nodes):
        f = ONNX_CONVERTERS.get(n.fn)
        if f is None:
            rule = f"compute Functions that have an ONNX converter ({names(ONNX_CONVERTERS)})"
            raise fail(
                WHO, n.where(), rule, n.fn.__name__, "register one with onnx_converter", UnsupportedLayerError
            )
        g.outputs[i] = f(g, n)
    return g.ref(g.trace.output)
