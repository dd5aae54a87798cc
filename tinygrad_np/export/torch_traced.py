"""A traced tinygrad_np model as a generic ``torch.nn.Module``: the module tree mirrored by plain
``torch.nn.Module`` containers holding copies of the parameters and buffers under the same dotted names
(so the state dicts match key for key), and a ``forward`` that replays the traced nodes with the torch
converters of their Functions (torch_ops.py). It differentiates in PyTorch like any module.

The trace is the model's eval-mode computation: a traced module holding Dropout or BatchNorm runs in
eval mode only (it is returned in eval mode, and a forward in training mode is an error).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

import numpy as np

from ..nn.module import Module
from ..validation import fail
from ._common import UnsupportedLayerError, names
from .torch_ops import EVAL_ONLY, TORCH_CONVERTERS, WHO, Replay
from .trace import Trace


def _own_copy(trace: Trace) -> Trace:
    """The trace without references to the tinygrad_np model: its own copies of constant arrays, and
    no parameters or buffers (the torch module holds those)."""

    def copied(args: dict[str, Any]) -> dict[str, Any]:
        return {k: np.array(v, copy=True) if isinstance(v, np.ndarray) else v for k, v in args.items()}

    nodes = [replace(n, args=copied(n.args), args2=copied(n.args2)) for n in trace.nodes]
    return replace(trace, nodes=nodes, params={}, buffers={})


def _mirror(torch: Any, model: Module, root: Any) -> None:
    """Give ``root`` (for ``model``) and new containers (for the modules below) copies of the
    parameters and buffers, under the same names; a module or Parameter used twice stays shared."""
    containers: dict[int, Any] = {id(model): root}
    params: dict[int, Any] = {}
    stack = [model]
    while stack:
        m = stack.pop()
        tm = containers[id(m)]
        tm.train(m.training)
        for name, p in m._own_parameters():
            if id(p) not in params:
                params[id(p)] = torch.nn.Parameter(torch.from_numpy(np.array(p.data, copy=True)))
            tm.register_parameter(name, params[id(p)])
        for name in m._buffers:
            tm.register_buffer(name, torch.from_numpy(np.array(getattr(m, name), copy=True)))
        for name, child in m.named_children():
            if id(child) not in containers:
                containers[id(child)] = torch.nn.Module()
                stack.append(child)
            tm.add_module(name, containers[id(child)])


@functools.cache
def _traced_class(torch: Any) -> type:
    class TracedModule(torch.nn.Module):
        """A tinygrad_np model traced by ``tnp.export.to_torch``: its parameters and buffers under the
        same names, and the traced computation replayed with torch ops."""

        def __init__(self, model: Module, trace: Trace) -> None:
            super().__init__()
            self._trace = _own_copy(trace)
            self._source = type(model).__name__
            self._eval_only = sorted({n.fn.__name__ for n in trace.nodes if n.fn in EVAL_ONLY})
            _mirror(torch, model, self)
            if self._eval_only:
                self.eval()

        def forward(self, x: Any) -> Any:
            if self.training and self._eval_only:
                rule = f"run in eval mode (it holds {', '.join(self._eval_only)}, traced as at inference)"
                got = "a forward in training mode"
                raise fail(WHO, f"this traced {self._source}", rule, got, "call .eval()", RuntimeError)
            r = Replay(torch, self._trace, self, x)
            for i, n in enumerate(self._trace.nodes):
                r.outputs[i] = TORCH_CONVERTERS[n.fn](r, n)
            return r.ref(self._trace.output)

        def extra_repr(self) -> str:
            return f"traced from a tinygrad_np {self._source}, {len(self._trace.nodes)} nodes"

    return TracedModule


def traced_module(torch: Any, model: Module, trace: Trace) -> Any:
    """The ``torch.nn.Module`` replaying ``trace`` of ``model``; every Function must have a converter,
    and one forward on an input like the traced one runs now, so that problems show here."""
    for n in trace.nodes:
        if n.fn not in TORCH_CONVERTERS:
            rule = f"compute Functions that have a torch converter ({names(TORCH_CONVERTERS)})"
            raise fail(
                WHO,
                n.where(),
                rule,
                n.fn.__name__,
                "register one with torch_converter",
                UnsupportedLayerError,
            )
    out = _traced_class(torch)(model, trace)
    shape = (2, *trace.example)
    x = (
        np.zeros(shape, trace.input_dtype)
        if trace.input_dtype is not None and trace.input_dtype.kind in "iu"
        else (np.random.default_rng(0).standard_normal(shape).astype(trace.dtype))
    )
    modes = [(m, m.training) for m in out.modules()]
    with torch.no_grad():
        out.eval()(torch.from_numpy(x))
    for m, training in modes:
        m.training = training
    return out
