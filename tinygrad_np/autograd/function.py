"""Function: one differentiable formula, in the style of ``torch.autograd.Function``.

A subclass writes two static methods on plain ndarrays::

    class Mul(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a          # one gradient per input, at the OUTPUT's shape is fine

Every formula of the library (ops, layers, losses) is one such class, run two ways:

- ``Mul.apply(x, y)`` on Tensors: runs forward and records the node in the graph, for
  ``Tensor.backward()`` (the engine sums broadcast dimensions away, so a backward may return
  gradients at the broadcast shape);
- ``ctx, y = Mul.run(a, b)`` on ndarrays: runs forward and returns the ``ctx``, which a layer keeps as
  its cache; ``ctx.gradients(g)`` later runs backward (the design card's Layer protocol).

The ``ctx`` object holds the inputs (``ctx.inputs``), ``ctx.needs_input_grad`` and what forward saved.
Inputs that are numbers, ndarrays or None are constants (no gradient); keyword arguments are settings.

**Version check** (as PyTorch's): every Tensor has a ``_version``, which the library bumps whenever it
changes the tensor's values in place (an optimiser step, ``load_state_dict``, ``initialize``,
``Module.to``, the fast path's write). When forward saves an input's array (``save_for_backward(a)``
with ``a`` the input's ``.data`` or a view of it), the ctx notes that input's version in
``ctx.versions``; backward (``ctx.gradients`` and the engine) first checks that it is unchanged, so a
gradient is never computed from values other than the ones forward used. Writes into ``.data`` are not
counted: the escape hatch, as in PyTorch.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..validation import fail
from .grad_mode import is_grad_enabled

# Inputs of these types are constants (no gradient); anything else must be a Tensor.
_CONSTANTS = (np.ndarray, type(None), np.generic, numbers.Number)  # the common ones first: cheaper


class Function:
    """Base class of every formula. See the module docstring."""

    saved_tensors: tuple[Any, ...] = ()
    out_shape: tuple[int, ...] = ()  # the output's shape, kept by a layer's array path to check grad_out
    reuse_grads = False  # set by a layer's array path: see grad_buffer
    shape_rule = "broadcast together"  # how two operands' shapes must match (in error messages)
    versions: tuple[tuple[int, int], ...] = ()  # (input index, its _version) of the inputs forward saved

    def __init__(self, inputs: tuple[Any, ...], needs_input_grad: tuple[bool, ...]) -> None:
        self.inputs = inputs  # Tensors (or Parameters) and constants, in call order
        self.needs_input_grad = needs_input_grad
        self.settings: dict[str, Any] = {}  # the keyword arguments of forward (read by export)

    def save_for_backward(self, *values: Any) -> None:
        self.saved_tensors = values

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError

    def name(self) -> str:
        """The label of this node in ``draw_graph`` and in error messages: the class name without the
        "Function" that a formula carries when a layer has its name (``LinearFunction`` -> "Linear")."""
        return type(self).__name__.removesuffix("Function") or "Function"

    def grad_buffer(self, i: int) -> np.ndarray | None:
        """The one performance helper of the formulas: an array the gradient of input ``i`` may be written
        into with ``out=`` (``None``: allocate a new one). In the Layer protocol (``reuse_grads``, not
        accumulating) that is the parameter's current ``.grad`` when its shape and dtype fit, which the
        new gradient replaces anyway: a wide first layer then needs no fresh weight-sized array per step
        (measured on the cat model's first layer, float32: the product g.T @ x took 832-847 µs with out=,
        868 µs without). Never in graph mode, where the engine sums the uses of a parameter."""
        if not self.reuse_grads:
            return None
        g = getattr(self.inputs[i], "grad", None)
        p = self.inputs[i]
        if g is None or g.shape != p.data.shape or g.dtype != p.data.dtype or not g.flags.c_contiguous:
            return None
        return g

    def gradients(self, grad: np.ndarray, owner: Any = None) -> tuple[np.ndarray | None, ...]:
        """This call's backward: one gradient per input (None where not needed), after checking that
        no input forward saved was changed in place since (``owner``: the Module whose parameters
        these are, to name them in the error)."""
        if self.versions:
            self.check_versions(owner)
        return type(self).backward(self, grad)

    def note_versions(self) -> None:
        """Record in ``versions`` the ``_version`` of each Tensor input whose array forward saved."""
        found = []
        for i, x in enumerate(self.inputs):
            if isinstance(x, _CONSTANTS):
                continue
            d = x.data
            for s in self.saved_tensors:
                if s is d or (type(s) is np.ndarray and s.base is d):
                    found.append((i, x._version))
                    break
        self.versions = tuple(found)

    def check_versions(self, owner: Any = None) -> None:
        """A RuntimeError if an input forward saved has been changed in place since (see the module
        docstring); ``owner`` (a Module) names the Parameter."""
        for i, expected in self.versions:
            x = self.inputs[i]
            if x._version != expected:
                op = self.name()
                raise fail(f"{op}.backward", *_modified(op, x, expected, owner), error=RuntimeError)

    @classmethod
    def run(cls, *inputs: Any, **kwargs: Any) -> tuple[Any, Any]:
        """Forward now, without recording a graph: returns ``(ctx, output ndarray)``. Inputs may be
        ndarrays or Tensors/Parameters (their ``.data`` is used; ``ctx.inputs`` keeps the objects, so a
        layer knows where each gradient goes). Before ``ctx.gradients(g)`` the caller sets
        ``ctx.needs_input_grad`` (one bool per input)."""
        arrays, needs = [], []
        for x in inputs:
            constant = isinstance(x, _CONSTANTS)
            arrays.append(x if constant else x.data)
            needs.append(not constant)
        ctx = cls(inputs, tuple(needs))
        ctx.settings = kwargs
        y = cls.forward(ctx, *arrays, **kwargs)  # a layer has checked its input already
        if ctx.saved_tensors and any(needs):
            ctx.note_versions()
        return ctx, y

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on the inputs' arrays and return a Tensor; record this node in the graph
        only when grad is enabled and some input requires grad. Keyword arguments go to forward."""
        maker = None
        arrays = []
        needs = []
        for x in inputs:
            if isinstance(x, _CONSTANTS):
                arrays.append(x)
                needs.append(False)
            else:
                if maker is None:
                    maker = x
                arrays.append(x.data)
                needs.append(x.requires_grad)
        record = any(needs) and is_grad_enabled()
        ctx = cls(inputs, tuple(needs) if record else tuple(False for _ in needs))
        ctx.settings = kwargs
        if maker is None:
            raise TypeError(f"{ctx.name()}: at least one input must be a Tensor, got only constants")
        out = cls._forward(ctx, arrays, kwargs)
        if not record:
            return maker._wrap(out, None)
        if ctx.saved_tensors:
            ctx.note_versions()
        return maker._wrap(out, ctx)

    @classmethod
    def _forward(cls, ctx: Any, arrays: Any, kwargs: dict[str, Any]) -> Any:
        try:
            return cls.forward(ctx, *arrays, **kwargs)
        except ValueError as e:
            shaped = [a for a in arrays if isinstance(a, np.ndarray)]
            if len(shaped) < 2 or not cls.shape_rule:
                raise
            shapes = " and ".join(str(a.shape) for a in shaped)
            raise ValueError(f"{ctx.name()}: the operands' shapes must {cls.shape_rule}, got {shapes}") from e


def _modified(op: str, x: Any, expected: int, owner: Any) -> tuple[str, str, str, str]:
    """(what, rule, got, fix) of the error of a tensor changed in place between ``op``'s forward and
    its backward."""
    name = None
    if owner is not None:
        name = next((n for n, p in owner.named_parameters() if p is x), None)
    what = f"{type(x).__name__}{f' {name!r}' if name else ''} (shape {x.shape}, {x.dtype})"
    got = f"one modified in place after {op} used it (version {x._version}, expected {expected})"
    fix = (
        "an optimizer step, load_state_dict, initialize or to() changed it; call backward before "
        "changing the tensor (e.g. before opt.step()), or run forward again"
    )
    return what, f"be unchanged since {op} used it in forward", got, fix
