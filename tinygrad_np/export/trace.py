"""Tracing: run a model on a Tensor and read back the Functions it recorded: the one route by which
every model (a Sequential, a Module with skip connections and shared layers, any mix) is exported.

The model runs in eval mode (its modes, caches and buffers are put back after) on an input of batch 2,
then of batch 3. Parameters are leaf Tensors, so every Function on the way is a node of the graph
with its inputs (``ctx.inputs``) and settings (``ctx.settings``); the engine's topological order
lists them inputs first. Each node's inputs become ``Ref``s: the model's input, a parameter (by its
dotted name in ``named_parameters()``), a buffer (a constant array that is a module's buffer, such as
BatchNorm's running statistics, by its dotted name), or an earlier node; anything else (numbers,
arrays, Tensors outside the graph) is a constant. Comparing the two runs tells which sizes follow the
batch, so an exported graph keeps the batch axis dynamic (``Trace.dims``; node_shapes.py).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd.engine import topological_order
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad
from ..autograd.tensor import Tensor
from ..nn.module import Module
from ..nn.summary import left_as_found, watch_calls
from ..validation import fail
from ._common import UnsupportedLayerError, where

BATCHES = (2, 3)  # the two batch sizes traced; a size that differs between them follows the batch


@dataclass(frozen=True)
class Ref:
    """A tensor of the traced graph: kind "input" (key ""), "param" or "buffer" (key: its dotted
    name) or "node" (key: the node's index in ``Trace.nodes``)."""

    kind: str
    key: Any


@dataclass
class Node:
    """One recorded Function call. ``args``: forward's parameters by name (defaults filled in), each a
    ``Ref`` or a constant, from the first run; ``args2``: the same from the second run. ``shapes``: the
    output's shape in each run. ``path``: the dotted name of the innermost module that computed it
    ("" for the model itself), ``module``: that module's class name."""

    fn: type[Function]
    args: dict[str, Any]
    args2: dict[str, Any]
    shapes: tuple[tuple[int, ...], tuple[int, ...]]
    dtype: np.dtype
    path: str
    module: str

    def where(self) -> str:
        """Where the node sits, for messages: "layer '1.fc' (a Linear)" or "the model (a Block)"."""
        return f"layer {self.path!r} (a {self.module})" if self.path else f"the model (a {self.module})"


@dataclass
class Trace:
    nodes: list[Node]
    output: Ref
    example: tuple[int, ...]  # one example's shape (no batch axis)
    dtype: np.dtype
    params: dict[str, Any]  # dotted name -> Parameter
    buffers: dict[str, np.ndarray]  # dotted name -> array
    fixed: dict[str, tuple[int, ...]]  # dotted name -> shape, of every parameter and buffer
    input_dtype: np.dtype | None = None  # the input's dtype when not the model's (integer token ids)

    def shapes(self, ref: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The shape of ``ref`` (a Ref or a constant) in each of the two runs."""
        if not isinstance(ref, Ref):
            s = np.shape(ref)
            return s, s
        if ref.kind == "input":
            return (BATCHES[0], *self.example), (BATCHES[1], *self.example)
        if ref.kind == "node":
            return self.nodes[ref.key].shapes
        return self.fixed[ref.key], self.fixed[ref.key]

    def constant(self, ref: Any) -> np.ndarray | None:
        """The array of a parameter, buffer or constant (None for the input and computed tensors)."""
        if not isinstance(ref, Ref):
            return np.asarray(ref)
        if ref.kind in ("input", "node"):
            return None
        return np.asarray(self.params[ref.key].data if ref.kind == "param" else self.buffers[ref.key])

    def dims(self, ref: Any) -> tuple[int | None, ...]:
        """The shape of ``ref`` with None for every size that follows the batch."""
        a, b = self.shapes(ref)
        return tuple(x if x == y else None for x, y in zip(a, b, strict=True))


_SIGNATURES: dict[type[Function], inspect.Signature] = {}


def _signature(fn: type[Function]) -> inspect.Signature:
    if fn not in _SIGNATURES:
        _SIGNATURES[fn] = inspect.signature(fn.forward)
    return _SIGNATURES[fn]


def _bind(ctx: Function) -> dict[str, Any]:
    """forward's arguments of this call by name, defaults filled in (without ``ctx``)."""
    bound = _signature(type(ctx)).bind(None, *ctx.inputs, **ctx.settings)
    bound.apply_defaults()
    args = dict(bound.arguments)
    del args[next(iter(args))]  # ctx
    return args


def _check_traceable(who: str, model: Module) -> None:
    for path, m in model.named_modules():
        if not m._array_forward and m._hand_written():
            got = f"a {type(m).__name__} with a hand-written backward"
            fix = "write its formula as a tnp.Function (with an export converter)"
            raise fail(who, where(path), "be traceable", got, fix, UnsupportedLayerError)


def _run(who: str, model: Module, x: np.ndarray) -> tuple[Tensor, Tensor, list[Tensor], dict[int, str]]:
    """One traced call: (input, output, the computed tensors in topological order, the module path
    that computed each node, by id of its ctx)."""
    paths: dict[int, str] = {}

    def after(path: str, module: Any, args: tuple[Any, ...], out: Any) -> None:
        # The nodes between this call's inputs and its output not claimed by an inner module are its own.
        stop = {id(a) for a in args if isinstance(a, Tensor)}
        stack = [out] if isinstance(out, Tensor) else []
        while stack:
            t = stack.pop()
            if id(t) in stop or t._ctx is None or id(t._ctx) in paths:
                continue
            paths[id(t._ctx)] = path
            stack.extend(i for i in t._ctx.inputs if isinstance(i, Tensor))

    xt = Tensor(x, requires_grad=x.dtype.kind == "f")  # integer inputs (token ids) take no gradient
    try:
        with (
            left_as_found(model),
            enable_grad(),
            watch_calls(model, after),
            np.errstate(all="ignore"),
        ):
            out = model(xt)
    except (ValueError, TypeError, IndexError) as e:
        if isinstance(e, UnsupportedLayerError):
            raise
        error = next(t for t in (TypeError, IndexError, ValueError) if isinstance(e, t))
        raise fail(who, "input_shape", "fit the model", f"{x.shape[1:]}: {e}", error=error) from e
    if not isinstance(out, Tensor):
        raise fail(who, "the model's forward", "return a Tensor", type(out).__name__, error=TypeError)
    order = [t for t in topological_order(out) if t._ctx is not None] if out.requires_grad else []
    return xt, out, order, paths


class _Refs:
    """Classifies the objects a node was called with in one run (see the module docstring)."""

    def __init__(self, xt: Tensor, order: list[Tensor], params: dict[int, str], buffers: dict[int, str]):
        self.xt, self.params, self.buffers = xt, params, buffers
        self.index = {id(t): i for i, t in enumerate(order)}

    def __call__(self, v: Any) -> Any:
        if isinstance(v, tuple):  # Cat(*arrays), Stack(*arrays)
            return tuple(self(x) for x in v)
        if isinstance(v, Tensor):
            if v is self.xt:
                return Ref("input", "")
            if id(v) in self.index:
                return Ref("node", self.index[id(v)])
            if id(v) in self.params:
                return Ref("param", self.params[id(v)])
            return v.data  # a Tensor outside the graph: a constant
        if isinstance(v, np.ndarray) and id(v) in self.buffers:
            return Ref("buffer", self.buffers[id(v)])
        return v

    def args(self, ctx: Function) -> dict[str, Any]:
        return {k: self(v) for k, v in _bind(ctx).items()}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray | np.generic) or isinstance(b, np.ndarray | np.generic):
        a, b = np.asarray(a), np.asarray(b)
        return (
            a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        )
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _check_constants(who: str, n: Node, inputs1: list[Any], inputs2: list[Any]) -> None:
    """A constant input (not a setting) must be the same in both runs: one that changes was computed
    from the input outside the graph (a comparison, ``.data``, ``.shape``), and an export would freeze it."""
    for v1, v2 in zip(inputs1, inputs2, strict=True):
        if not _same(v1, v2):
            what = f"the constant inputs of {n.fn.__name__} in {n.where()}"
            got = "one that changes with it (a comparison, .data or .shape of a Tensor: no node records them)"
            fix = "an export would freeze it; compute it with Tensor operations"
            raise fail(who, what, "be the same for every input", got, fix, UnsupportedLayerError)


def trace_model(
    who: str, model: Module, example: tuple[int, ...], dtype: np.dtype, input_dtype: Any = None
) -> Trace:
    """The graph ``model`` computes for inputs (batch, *example) of ``dtype``, traced in eval mode. An
    integer ``input_dtype`` (token ids) traces with zeros, an index valid for any Embedding."""
    in_dt = np.dtype(dtype if input_dtype is None else input_dtype)
    if in_dt.kind not in "fiu":
        raise fail(who, "input_dtype", "be a float or integer dtype", str(in_dt), error=TypeError)
    _check_traceable(who, model)
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    ids = ({id(p): k for k, p in params.items()}, {id(b): k for k, b in buffers.items()})
    classes = {path: type(m).__name__ for path, m in model.named_modules()}
    rng = np.random.default_rng(0)
    (x1, out, order1, paths), (x2, _, order2, _) = [
        _run(who, model, _example_input(rng, (b, *example), in_dt)) for b in BATCHES
    ]
    if [type(t._ctx) for t in order1] != [type(t._ctx) for t in order2]:
        raise fail(who, "the model's graph", "be the same for every batch size", "one that changes")
    refs1, refs2 = _Refs(x1, order1, *ids), _Refs(x2, order2, *ids)
    nodes = []
    for t1, t2 in zip(order1, order2, strict=True):
        ctx1, ctx2 = t1._ctx, t2._ctx
        assert ctx1 is not None and ctx2 is not None
        path = paths.get(id(ctx1), "")
        shapes = (t1.data.shape, t2.data.shape)
        n = Node(
            type(ctx1), refs1.args(ctx1), refs2.args(ctx2), shapes, t1.dtype, path, classes.get(path, "?")
        )
        _check_constants(who, n, [refs1(v) for v in ctx1.inputs], [refs2(v) for v in ctx2.inputs])
        if n.dtype != dtype:
            raise fail(who, f"the output of {n.fn.__name__} in {n.where()}", f"be {dtype}", str(n.dtype))
        nodes.append(n)
    output = refs1(out)
    if not isinstance(output, Ref):
        raise fail(who, "the model's output", "depend on its input or parameters", "a constant")
    fixed = {k: np.shape(v.data) for k, v in params.items()} | {k: np.shape(v) for k, v in buffers.items()}
    return Trace(
        nodes, output, example, dtype, params, buffers, fixed, None if input_dtype is None else in_dt
    )


def _example_input(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return np.zeros(shape, dtype=dtype)
