"""Module (alias Layer): the one base class of every layer, model and container, and the tree they form.

Two ways to call a module, one set of formulas (the ``Function`` classes in ``tinygrad_np/ops``):

- **The Layer protocol** (the design card): ``y = layer.forward(x)`` on an ndarray returns an ndarray
  and keeps what backward needs in ``layer._cache``; ``dx = layer.backward(dout)`` sets the parameters'
  ``.grad`` and returns dL/dx. A built-in layer runs its Function now and its cache *is* that
  Function's ctx (``_call_function``); ``Sequential`` chains the layers.
- **Graph mode**: called on a ``Tensor``, a layer records its Function in the graph, and a ``Module``
  subclass whose ``forward`` is written with Tensors records whatever it computes (skip connections,
  shared layers); ``Tensor.backward()`` then sums every use. Such a Module called on an ndarray records
  its graph from a Tensor wrapping x and keeps the graph's two ends as its cache, so it fits the Layer
  protocol too (Sequential, fit, gradcheck).

A hand-written layer (a subclass defining its own ``forward`` on ndarrays and its own ``backward``, as
in the course) works in the Layer protocol; in a graph, write its formula as a ``Function`` instead.

The tree: attributes that are Modules or Parameters are children and parameters, with PyTorch's
dotted names ("0.weight", "2.fc.bias"); ``_buffers`` names arrays saved but never trained
(BatchNorm's running statistics). State dicts, saving, dtype casts and train/eval walk the tree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

from .. import serialization
from ..autograd.engine import set_grad
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.tensor import Tensor
from . import state_dict as sd
from .parameter import Parameter

M = TypeVar("M", bound="Module")


class Module:
    """Base class of every layer and model. Subclass it: call ``super().__init__()``, assign layers and
    Parameters, write ``forward`` (see the module docstring for the two ways it runs)."""

    _buffers: tuple[str, ...] = ()
    _nonnegative_buffers: tuple[str, ...] = ()  # buffers load_state_dict requires >= 0 (a variance, a count)
    _array_forward = False  # True: forward takes ndarrays and Tensors itself (built-in layers, Sequential)

    def __init__(self) -> None:
        self.training: bool = True
        self._cache: Any = None

    # -- calling -----------------------------------------------------------------------------------
    def forward(self, x: Any) -> Any:
        raise NotImplementedError(f"{self._name()}: define forward(self, x) using Tensors")

    def __call__(self, x: Any, *args: Any, **kwargs: Any) -> Any:
        if self._array_forward:
            return self.forward(x, *args, **kwargs)
        if self._hand_written():
            if isinstance(x, Tensor):
                raise TypeError(
                    f"{self!r}: the input of a layer with a hand-written backward must be an ndarray, got a "
                    "Tensor; to use it in a graph, write its formula as a tnp.Function (see docs/autodiff.md)"
                )
            return self.forward(x, *args, **kwargs)
        if isinstance(x, Tensor):
            return self.forward(x, *args, **kwargs)  # part of a larger graph
        return self._record(x, *args, **kwargs)

    def _hand_written(self) -> bool:
        return type(self).backward is not Module.backward

    def _record(self, x: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        """An ndarray through a Tensor-written forward: record the graph, keep its ends as the cache."""
        xt = Tensor(self._check_input(x), requires_grad=True)
        out = self.forward(xt, *args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{self._name()}: forward must return a Tensor, got a {type(out).__name__}")
        self._cache = (xt, out) if out.requires_grad else None  # None under no_grad()
        return out.data

    def _call_function(self, fn: type[Function], x: Any, *params: Any, **settings: Any) -> Any:
        """Run the formula ``fn`` on x and this layer's parameters (None for a missing one). On a Tensor:
        record it in the graph. On an ndarray: run it now and keep its ctx as the cache for backward
        (no cache under ``no_grad()``)."""
        if isinstance(x, Tensor):
            return fn.apply(x, *params, **settings)
        ctx, y = fn.run(x, *params, **settings)
        # Backward reads only what forward saved and where each parameter's gradient goes: not keeping
        # x itself lets an activation be freed as soon as the next layer is done with it.
        ctx.inputs = (None, *ctx.inputs[1:])
        ctx.out_shape = y.shape
        self._cache = ctx if is_grad_enabled() else None
        return y

    def backward(
        self, grad_out: np.ndarray, input_grad: bool = True, *, accumulate: bool = False
    ) -> np.ndarray | None:
        """Backpropagate ``grad_out`` = dloss/doutput of the last ndarray call: sets ``.grad`` on the
        parameters (adds to it with ``accumulate=True``) and returns dloss/dx (None unless ``input_grad``).
        Backward only reads the cache, so calling it twice gives the same result."""
        cache = self._cached()
        if isinstance(cache, Function):  # a built-in layer: its Function's backward, run now
            g = self._check_grad(grad_out, cache.out_shape)
            cache.needs_input_grad = (input_grad, *cache.needs_input_grad[1:])  # the parameters' as run
            cache.reuse_grads = not accumulate  # each parameter's new gradient may overwrite its .grad
            grads = cache.gradients(g, self)  # checks the parameters are those forward used
            for p, gp in zip(cache.inputs[1:], grads[1:], strict=True):
                if isinstance(p, Tensor) and gp is not None:
                    set_grad(p, gp, accumulate)
            return grads[0] if input_grad else None
        xt, out = cache  # a Module: the graph recorded by the last call
        xt.grad = None  # dx of this call alone (accumulate adds into the parameters, not into x)
        out.backward(self._check_grad(grad_out, out.shape), accumulate=accumulate)
        return xt.grad if input_grad else None

    def backward_from(self, loss_fn: Any, input_grad: bool = False, *, accumulate: bool = False) -> Any:
        """Backpropagate the loss ``loss_fn`` last computed on this module's output:
        ``self.backward(loss_fn.backward(), input_grad)`` (Sequential adds the Sigmoid + BCELoss shortcut)."""
        return self.backward(loss_fn.backward(), input_grad=input_grad, accumulate=accumulate)

    # -- the tree ----------------------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct sub-modules, ``(attribute name, module)``, in the order they were assigned."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``, "" at the root) and every module below it, depth first; a
        module used twice is listed once unless ``remove_duplicate=False`` (as in PyTorch)."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate and id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            kids = [(f"{name}.{k}" if name else k, c) for k, c in module.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def _own_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield name, value

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``[(dotted name, Parameter), ...]``, each Parameter once even when shared."""
        out, seen = [], set()
        for prefix, module in self.named_modules():
            for name, p in module._own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((f"{prefix}.{name}" if prefix else name, p))
        return out

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        """``[(dotted name, array), ...]`` of the buffers (saved, never trained)."""
        return [
            (f"{prefix}.{name}" if prefix else name, getattr(m, name))
            for prefix, m in self.named_modules()
            for name in m._buffers
        ]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``grad = None`` (or zeros with ``set_to_none=False``), as PyTorch's.
        Backward overwrites them anyway unless accumulating."""
        for p in self.parameters():
            p.grad = None if set_to_none or p.grad is None else np.zeros_like(p.data)

    # -- modes and dtype ---------------------------------------------------------------------------
    def train(self: M, mode: bool = True) -> M:
        """Training mode for this module and every module below (``mode=False``: evaluation); returns self."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self: M) -> M:
        """Evaluation mode: e.g. Dropout becomes the identity. Returns self."""
        return self.train(False)

    def to(self: M, dtype: Any) -> M:
        """Cast every parameter and floating-point buffer to ``dtype`` (e.g. ``np.float32``); drops
        gradients and caches."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{self._name()}.to(): dtype must be a floating-point type, got {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
            p._version += 1  # new values: a graph that saved the old ones must not backward
        for m in self.modules():
            for name in m._buffers:
                value = getattr(m, name)
                if value.dtype.kind == "f":
                    setattr(m, name, value.astype(dtype))
            m._cache = None
        return self

    @property
    def dtype(self) -> np.dtype | None:
        """The dtype of the first parameter (None for a module without parameters)."""
        params = self.parameters()
        return params[0].dtype if params else None

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """Shape of the output for an input of ``input_shape`` (``None`` for the batch dimension)."""
        return input_shape

    # -- state -------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """``{"0.weight": array, ..., "1.running_mean": array}``: copies, so training does not change them."""
        return {name: np.array(value, copy=True) for name, (value, _) in sd.state_slots(self).items()}

    def load_state_dict(self: M, state: Mapping[str, Any]) -> M:
        """Load ``state`` (a mapping) strictly and all-or-nothing: every key present, none extra, every
        shape equal, values finite in the model's dtype (whole numbers for an integer buffer, >= 0 where
        the layer says so: BatchNorm's running_var and num_batches_tracked). A rejected dict leaves the
        model unchanged. The parameters count as changed in place (see ``Tensor``'s ``_version``)."""
        sd.load_state(self, state)
        return self

    def check_shapes(self, shapes: Mapping[str, tuple[int, ...]]) -> None:
        """Raise as ``load_state_dict`` would for a state with these names and shapes (no arrays needed:
        a file's headers are checked before its arrays are read)."""
        sd.check_shapes(self._name(), shapes, sd.state_slots(self))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state dict to an ``.npz`` file atomically (no pickle); a tied Parameter once."""
        serialization.save(sd.file_arrays(self), path)

    def load(self: M, path: str | os.PathLike[str]) -> M:
        """Load a file written by ``save`` (checked like ``load_state_dict``); returns self."""
        header = serialization.read_header(path)  # a wrong file is rejected before any array is read
        try:
            self.check_shapes(sd.file_shapes(header, self))
            return self.load_state_dict(sd.untied(serialization.load(path)))
        except (KeyError, ValueError, TypeError) as e:
            raise sd.in_context(e, os.fspath(path)) from e

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of the modules (nested ones indented) with output shapes and parameter counts."""
        from .summary import summary

        return summary(self, input_shape)

    # -- helpers for subclasses --------------------------------------------------------------------
    def _name(self) -> str:
        return type(self).__name__

    def _check_input(self, x: Any) -> np.ndarray:
        """``x`` (an ndarray, or a Tensor's data) as a floating-point array, or a TypeError saying how
        to convert it."""
        x = x.data if isinstance(x, Tensor) else np.asarray(x)
        # dtype.kind == "f" is np.issubdtype(dtype, np.floating) at a fraction of the cost: this runs in
        # every layer on every call, so it shows in small-batch training.
        if x.dtype.kind != "f":
            hint = " (for 8-bit images: x.astype(np.float64) / 255)" if x.dtype == np.uint8 else ""
            raise TypeError(
                f"{self!r}: input must be a floating-point array, got dtype {x.dtype}; "
                f"convert with x.astype(np.float64){hint}"
            )
        return x

    def _check_dtype(self, x: np.ndarray, weight: Parameter) -> None:
        """The input in the weights' dtype, or a TypeError saying how to convert one of them."""
        if x.dtype != weight.data.dtype:
            raise TypeError(
                f"{self!r}: input must have the weights' dtype {weight.data.dtype}, got {x.dtype}; "
                f"convert with x.astype(np.{weight.data.dtype}) or model.to(np.{x.dtype})"
            )

    def _cached(self) -> Any:
        """The cache left by forward, or a RuntimeError naming the layer."""
        if self._cache is None:
            raise RuntimeError(
                f"{self!r}.backward(): forward must run first, got backward() before forward()"
            )
        return self._cache

    def _check_grad(self, grad_out: Any, out_shape: tuple[int, ...]) -> np.ndarray:
        if type(grad_out) is not np.ndarray:
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


Layer = Module  # the design card's name: a Layer is a Module
