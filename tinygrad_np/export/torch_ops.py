"""The PyTorch converters of the Functions in ``ops``: each replays one traced node with torch ops, so
that a traced model runs (and differentiates) in PyTorch. ``TORCH_CONVERTERS`` maps a Function to
``f(replay, node) -> torch tensor``; ``replay.value(node, "x")`` is the torch value of an input (the
model's input, a parameter or buffer of the torch module, an earlier node's output, or a constant).
Functions whose eval-mode formula differs from training (Dropout, BatchNorm) are registered with
``eval_only=True``: a traced module holding them runs in eval mode only.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..ops import activations as act
from ..ops import dropout, elementwise, linear, reduce, shape, softmax
from .node_shapes import eval_mode_dropout, expand_target, reshape_target, simple_index
from .trace import Node, Ref, Trace

WHO = "to_torch"


class Replay:
    """One forward of a traced module: the torch values computed so far."""

    def __init__(self, torch: Any, trace: Trace, module: Any, x: Any) -> None:
        self.torch, self.F, self.trace, self.module, self.x = torch, torch.nn.functional, trace, module, x
        self.dtype = getattr(torch, np.dtype(trace.dtype).name)  # the model's (x may hold integer ids)
        self.outputs: dict[int, Any] = {}

    def ref(self, r: Ref) -> Any:
        if r.kind == "input":
            return self.x
        if r.kind == "node":
            return self.outputs[r.key]
        return self.module.get_parameter(r.key) if r.kind == "param" else self.module.get_buffer(r.key)

    def value(self, n: Node, arg: str) -> Any:
        """Input ``arg`` of ``n``: a torch tensor (arrays in the input's dtype), a number, or None."""
        return self._value(n.args[arg])

    def values(self, n: Node, arg: str) -> list[Any]:
        """The items of ``n``'s tuple input ``arg`` (Cat's and Stack's arrays), as tensors."""
        return [self.torch.as_tensor(self._value(v), dtype=self.dtype) for v in n.args[arg]]

    def _value(self, v: Any) -> Any:
        if isinstance(v, Ref):
            return self.ref(v)
        if isinstance(v, np.ndarray):
            return self.torch.as_tensor(v, dtype=self.dtype)
        return v.item() if isinstance(v, np.generic) else v


ToTorch = Callable[[Replay, Node], Any]
TORCH_CONVERTERS: dict[type[Function], ToTorch] = {}
EVAL_ONLY: set[type[Function]] = set()  # formulas whose traced (eval-mode) form is not the training one


def torch_converter(*functions: type[Function], eval_only: bool = False) -> Callable[[ToTorch], ToTorch]:
    """Register ``f(replay, node) -> torch tensor`` as the PyTorch converter of ``functions``."""

    def register(f: ToTorch) -> ToTorch:
        for fn in functions:
            TORCH_CONVERTERS[fn] = f
            if eval_only:
                EVAL_ONLY.add(fn)
        return f

    return register


_BINARY = {
    elementwise.Add: operator.add,
    elementwise.Sub: operator.sub,
    elementwise.Mul: operator.mul,
    elementwise.Div: operator.truediv,
}
_UNARY = {
    elementwise.Neg: "neg",
    elementwise.Exp: "exp",
    elementwise.Log: "log",
    elementwise.Sqrt: "sqrt",
    elementwise.Abs: "abs",
    act.ReLUFunction: "relu",
    act.SigmoidFunction: "sigmoid",
    act.TanhFunction: "tanh",
}


@torch_converter(*_BINARY)
def _binary(r: Replay, n: Node) -> Any:
    return _BINARY[n.fn](r.value(n, "a"), r.value(n, "b"))


@torch_converter(*_UNARY)
def _unary(r: Replay, n: Node) -> Any:
    return getattr(r.torch, _UNARY[n.fn])(r.value(n, "a"))


@torch_converter(elementwise.Pow)
def _pow(r: Replay, n: Node) -> Any:
    return r.torch.pow(r.value(n, "a"), r.value(n, "c"))


@torch_converter(elementwise.Clip)
def _clip(r: Replay, n: Node) -> Any:
    a, lo, hi = r.value(n, "a"), r.value(n, "lo"), r.value(n, "hi")
    return a if lo is None and hi is None else r.torch.clamp(a, lo, hi)


@torch_converter(elementwise.Where)
def _where(r: Replay, n: Node) -> Any:
    cond = r.torch.as_tensor(np.asarray(n.args["cond"], dtype=bool))
    return r.torch.where(cond, r.value(n, "a"), r.value(n, "b"))


@torch_converter(elementwise.Cast)
def _cast(r: Replay, n: Node) -> Any:
    return r.value(n, "a").to(getattr(r.torch, np.dtype(n.args["dtype"]).name))


@torch_converter(act.LeakyReLUFunction)
def _leaky_relu(r: Replay, n: Node) -> Any:
    return r.F.leaky_relu(r.value(n, "a"), float(n.args["slope"]))


@torch_converter(act.Softplus)
def _softplus(r: Replay, n: Node) -> Any:
    a = r.value(n, "a")  # log(exp(a) + exp(0)), stable; F.softplus returns a itself above a = 20
    return r.torch.logaddexp(a, r.torch.zeros_like(a))


@torch_converter(dropout.DropoutFunction, eval_only=True)
def _dropout(r: Replay, n: Node) -> Any:
    eval_mode_dropout(WHO, n)
    return r.value(n, "x")


@torch_converter(linear.LinearFunction)
def _linear(r: Replay, n: Node) -> Any:
    return r.F.linear(r.value(n, "x"), r.value(n, "w"), r.value(n, "b"))


@torch_converter(linear.MatMul)
def _matmul(r: Replay, n: Node) -> Any:
    return r.torch.matmul(r.value(n, "a"), r.value(n, "b"))


@torch_converter(softmax.SoftmaxFunction, softmax.LogSoftmaxFunction)
def _softmax(r: Replay, n: Node) -> Any:
    f = r.F.softmax if n.fn is softmax.SoftmaxFunction else r.F.log_softmax
    return f(r.value(n, "x"), dim=int(n.args["dim"]))


@torch_converter(reduce.Sum, reduce.Mean, reduce.Max, reduce.Min)
def _reduce(r: Replay, n: Node) -> Any:
    a, axis = r.value(n, "a"), n.args["axis"]
    dims = tuple(range(a.ndim)) if axis is None else axis
    t = r.torch
    f = {reduce.Sum: t.sum, reduce.Mean: t.mean, reduce.Max: t.amax, reduce.Min: t.amin}[n.fn]
    return f(a, dim=dims, keepdim=bool(n.args["keepdims"]))  # amax/amin: ties share the gradient, as here


@torch_converter(shape.Reshape)
def _reshape(r: Replay, n: Node) -> Any:
    a = r.value(n, "a")
    return a.reshape([a.shape[i] if s == 0 else s for i, s in enumerate(reshape_target(r.trace, n, WHO))])


@torch_converter(shape.Expand)
def _expand(r: Replay, n: Node) -> Any:
    return r.value(n, "a").expand(*[-1 if s is None else s for s in expand_target(r.trace, n, WHO)])


@torch_converter(shape.Cat)
def _cat(r: Replay, n: Node) -> Any:
    return r.torch.cat(r.values(n, "arrays"), dim=int(n.args["axis"]))


@torch_converter(shape.Stack)
def _stack(r: Replay, n: Node) -> Any:
    return r.torch.stack(r.values(n, "arrays"), dim=int(n.args["axis"]))


@torch_converter(shape.Transpose)
def _transpose(r: Replay, n: Node) -> Any:
    a, axes = r.value(n, "a"), n.args["axes"]
    return a.permute(*reversed(range(a.ndim))) if axes is None else a.permute(*axes)


@torch_converter(shape.GetItem)
def _getitem(r: Replay, n: Node) -> Any:
    a = r.value(n, "a")
    return a[tuple(i for _, i in simple_index(n, a.ndim, WHO))]
