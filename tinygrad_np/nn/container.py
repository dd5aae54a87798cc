"""Containers: ``ModuleList`` (holds modules, children named "0", "1", ...) and its subclass
``Sequential`` (chains them: each module's output is the next one's input)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, TypeVar, overload

import numpy as np

from ..autograd.tensor import Tensor
from ..ops.activations import SigmoidFunction as SigmoidFn
from .module import Module
from .state_dict import in_context

C = TypeVar("C", bound="ModuleList")
CHAINED = "each layer keeps its own cache"  # a Sequential's cache after an array forward


class ModuleList(Module):
    """A list of modules, registered as children "0", "1", ... (for Modules with a variable number of
    blocks): ``append``, ``extend``, ``len``, iteration, indexing (a slice is a new container of the
    same kind, sharing the module objects, as in PyTorch). Call its items, not the list."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.layers: list[Module] = []
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"{self._name()}: item {i} must be a Module, got a {type(m).__name__}")
            self.layers.append(m)

    def forward(self, x: Any) -> Any:
        raise TypeError(
            "ModuleList: a ModuleList must not be called, got a call; "
            "call its items: for b in blocks: x = b(x)"
        )

    def _from_layers(self: C, layers: list[Module]) -> C:
        """A new container of this kind holding ``layers`` (for slices)."""
        return type(self)(layers)

    def append(self: C, module: Module) -> C:
        if not isinstance(module, Module):
            raise TypeError(f"{self._name()}.append: module must be a Module, got a {type(module).__name__}")
        self.layers.append(module)
        return self

    def extend(self: C, modules: Iterable[Module]) -> C:
        for m in modules:
            self.append(m)
        return self

    def named_children(self) -> Iterator[tuple[str, Module]]:
        return ((str(i), m) for i, m in enumerate(self.layers))

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    @overload
    def __getitem__(self, i: int) -> Module: ...
    @overload
    def __getitem__(self: C, i: slice) -> C: ...
    def __getitem__(self: C, i: int | slice) -> Module | C:
        return self._from_layers(self.layers[i]) if isinstance(i, slice) else self.layers[i]


class _LayerPlan(NamedTuple):
    key: tuple[int, ...]  # the ids of the layer objects it was worked out for
    first_trainable: int  # index of the first layer with parameters (len(layers) if none)
    repeated: bool  # a layer object or a Parameter used at more than one position


class Sequential(ModuleList):
    """``Sequential(layer0, layer1, ...)``: ``forward`` feeds each layer's output to the next.

    Children are named by position, so parameters are ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ...
    as in PyTorch: the state dict of the same ``torch.nn.Sequential`` (``.numpy()``-converted) loads as
    it is. Nested models give dotted names (``"2.fc.weight"``).

    On ndarrays, each layer runs its forward and keeps its cache; ``backward`` runs them in reverse.
    When one layer object appears at several positions, its caches would overwrite each other: then
    the call is recorded as a graph instead (as a Module's is) and the engine sums that layer's
    gradients over its uses.
    """

    _array_forward = True

    def __init__(self, *layers: Module) -> None:
        super().__init__(layers)
        self._plan_cache: _LayerPlan | None = None

    def forward(self, x: Any) -> Any:
        if isinstance(x, Tensor):
            return self._chain(x)
        if self._plan().repeated:
            return self._record(x)
        y = self._chain(x)
        self._cache = CHAINED
        return y

    def _chain(self, x: Any) -> Any:
        for i, layer in enumerate(self.layers):
            try:
                x = layer(x)
            except (ValueError, TypeError) as e:
                # Say where in the model it happened; the layer's own message says what and why.
                raise in_context(e, f"layer {i}") from e
        return x

    def _plan(self) -> _LayerPlan:
        """What the layer list implies, worked out once per list (``parameters()`` walks the tree, which
        is not free on every step): the index of the first layer with parameters (backward stops there
        unless dL/dx is asked for), and whether a layer object or a Parameter is used at more than one
        position. Recomputed whenever the list of layer objects changes."""
        key = tuple(map(id, self.layers))
        if self._plan_cache is None or self._plan_cache.key != key:
            params = [layer.parameters() for layer in self.layers]
            first = next((i for i, ps in enumerate(params) if ps), len(self.layers))
            ids = [id(p) for ps in params for p in ps]
            repeated = len(set(key)) < len(key) or len(set(ids)) < len(ids)
            self._plan_cache = _LayerPlan(key, first, repeated)
        return self._plan_cache

    def backward(
        self, grad_out: np.ndarray, input_grad: bool = False, *, accumulate: bool = False
    ) -> np.ndarray | None:
        """Backpropagate ``grad_out`` = dloss/doutput through every layer, setting each parameter's ``.grad``.

        Returns dloss/dx only if ``input_grad`` (note the default, False, unlike a single layer's);
        otherwise returns None and stops at the first layer that has parameters, skipping its dloss/dx
        product (the costliest one in a wide first layer), as PyTorch does for an input that does not
        require grad.
        """
        if self._cached() is not CHAINED:  # recorded as a graph (a repeated layer)
            return super().backward(grad_out, input_grad, accumulate=accumulate)
        return self._backward_below(len(self.layers), grad_out, input_grad, accumulate)

    def _backward_below(
        self, end: int, grad_out: np.ndarray, input_grad: bool, accumulate: bool
    ) -> np.ndarray | None:
        """Backpropagate ``grad_out`` = dloss/d(output of layer end - 1) through layers end - 1, ..., 0."""
        stop = 0 if input_grad else min(self._plan().first_trainable, end)
        grad: Any = grad_out
        more = {"accumulate": True} if accumulate else {}  # hand-written layers may not take it
        for i in range(end - 1, stop - 1, -1):
            kw = more if more and self.layers[i].parameters() else {}  # nothing to accumulate in a Flatten
            grad = self.layers[i].backward(grad, input_grad=input_grad or i > stop, **kw)
        return grad if input_grad else None

    def backward_from(self, loss_fn: Any, input_grad: bool = False, *, accumulate: bool = False) -> Any:
        """Backpropagate the loss ``loss_fn`` last computed on this model's output.

        The same as ``self.backward(loss_fn.backward(), input_grad)``, with one shortcut taken in the
        open: when the last layer is a ``Sigmoid`` whose output the loss was computed on, and the loss
        has ``logit_grad()`` (``BCELoss``), backpropagation starts below the Sigmoid from dL/dz = (p - y)/N
        (``ops.losses.SigmoidBCE``) instead of dividing by p (1 - p) and multiplying back.
        """
        last = self.layers[-1]._cache if self.layers else None
        if (
            isinstance(last, SigmoidFn)
            and hasattr(loss_fn, "logit_grad")
            and loss_fn.computed_on(last.saved_tensors[0])
        ):
            return self._backward_below(len(self.layers) - 1, loss_fn.logit_grad(), input_grad, accumulate)
        return self.backward(loss_fn.backward(), input_grad=input_grad, accumulate=accumulate)

    def _from_layers(self, layers: list[Module]) -> Sequential:
        return Sequential(*layers)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        for layer in self.layers:
            input_shape = layer.output_shape(input_shape)
        return input_shape

    def __repr__(self) -> str:
        return super().__repr__() if self.layers else "Sequential()"
