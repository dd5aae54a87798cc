"""Sequential: layers chained in order; backward runs them in reverse."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from .activations import Sigmoid
from .container import LayerList
from .layer import Layer, in_context


class Sequential(LayerList):
    """``Sequential(layer0, layer1, ...)``: ``forward`` feeds each layer's output to the next.

    Children are named by position, so parameters are ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ...
    as in PyTorch: the state dict of the same ``torch.nn.Sequential`` (``.numpy()``-converted) loads as
    it is. Nested models give dotted names (``"2.fc.weight"``).
    """

    def __init__(self, *layers: Layer) -> None:
        super().__init__(layers)
        self._stop: int | None = None  # index of the first layer with parameters (see backward)
        self._sharing: tuple[tuple[int, ...], set[int] | None] | None = None  # see _shared()

    # -- forward and backward ----------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        # A layer object used twice: keep each use's cache (restored in backward).
        caches: list[Any] | None = [] if self._shared() is not None else None
        x = self._chain(x, caches)
        self._cache = caches
        return x

    def _graph_call(self, x: Any) -> Any:
        """On a Tensor: one graph node per child layer (so a shared child is a node per use)."""
        return self._chain(x, None)

    def _chain(self, x: Any, caches: list[Any] | None) -> Any:
        """Feed ``x`` through the layers in order; append each layer's cache to ``caches`` if given."""
        for i, layer in enumerate(self.layers):
            try:
                x = layer(x)
            except (ValueError, TypeError) as e:
                # Say where in the model it happened; the layer's own message says what and why.
                raise in_context(e, f"layer {i}") from e
            if caches is not None:
                caches.append(layer._cache)
        return x

    def backward(self, grad_out: np.ndarray, input_grad: bool = False) -> np.ndarray | None:
        """Backpropagate ``grad_out`` = dloss/doutput through every layer, setting each parameter's ``.grad``.

        Returns dloss/dx only if ``input_grad`` (note the default, False, unlike a single layer's);
        otherwise returns None and stops at the first layer that has parameters, skipping its dloss/dx
        product (the costliest one in a wide first layer), as PyTorch does for an input that does not
        require grad.
        """
        return self._backward_below(len(self.layers), grad_out, input_grad)

    def _backward_below(self, end: int, grad_out: np.ndarray, input_grad: bool) -> np.ndarray | None:
        """Backpropagate ``grad_out`` = dloss/d(output of layer end - 1) through layers end - 1, ..., 0."""
        stop = 0 if input_grad else min(self._first_trainable(), end)
        if self._shared() is not None:
            return self._backward_shared(end, stop, grad_out, input_grad)
        grad: np.ndarray | None = grad_out
        for i in range(end - 1, stop - 1, -1):
            grad = self.layers[i].backward(grad, input_grad=input_grad or i > stop)  # type: ignore[arg-type]
        return grad if input_grad else None

    def _backward_shared(self, end: int, stop: int, grad: Any, input_grad: bool) -> np.ndarray | None:
        """Backward when a layer or Parameter is used more than once: each use's cache is put back
        before its backward, and a shared Parameter's gradients are summed over its uses."""
        caches = self._cached()
        shared_params = self._shared() or set()
        total: dict[int, Any] = {}  # id(Parameter) -> summed gradient
        for i in range(end - 1, stop - 1, -1):
            layer = self.layers[i]
            layer._cache = caches[i]
            grad = layer.backward(grad, input_grad=input_grad or i > stop)
            for p in layer.parameters():
                if id(p) in shared_params:
                    if id(p) in total:
                        total[id(p)][1] += p.grad
                    else:
                        total[id(p)] = [p, p.grad]
                    p.grad = None  # the next use writes a fresh buffer
        for p, g in total.values():
            p.grad = g
        return grad if input_grad else None

    def _shared(self) -> set[int] | None:
        """None in the usual case; when a layer object or a Parameter is used at more than one
        position, the ids of the Parameters used more than once (maybe empty). Cached per layer list."""
        key = tuple(map(id, self.layers))
        if self._sharing is None or self._sharing[0] != key:
            counts = Counter(id(p) for layer in self.layers for p in layer.parameters())
            params = {k for k, n in counts.items() if n > 1}
            repeated = bool(params) or len(set(key)) < len(key)
            self._sharing = (key, params if repeated else None)
        return self._sharing[1]

    def backward_from(self, loss_fn: Any, input_grad: bool = False) -> np.ndarray | None:
        """Backpropagate the loss ``loss_fn`` last computed on this model's output.

        The same as ``self.backward(loss_fn.backward(), input_grad)``, with one shortcut taken in the
        open: when the last layer is a ``Sigmoid`` whose output the loss was computed on, and the loss
        has ``logit_grad()`` (``BCELoss``), backpropagation starts below the Sigmoid from dL/dz = (p - y)/N
        instead of dividing by p (1 - p) and multiplying back.
        """
        last = self.layers[-1] if self.layers else None
        logit_grad = getattr(loss_fn, "logit_grad", None)
        if isinstance(last, Sigmoid) and logit_grad is not None and loss_fn.computed_on(last._cache):
            return self._backward_below(len(self.layers) - 1, logit_grad(), input_grad)
        return self.backward(loss_fn.backward(), input_grad=input_grad)

    def _first_trainable(self) -> int:
        # Cached: parameters() walks the tree, which is not free on every step. append() resets it.
        if self._stop is None:
            self._stop = next((i for i, la in enumerate(self.layers) if la.parameters()), len(self.layers))
        return self._stop

    # -- the container (LayerList) -------------------------------------------------------------
    def _from_layers(self, layers: list[Layer]) -> Sequential:
        return Sequential(*layers)

    def _layers_changed(self) -> None:
        self._stop = None

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        for layer in self.layers:
            input_shape = layer.output_shape(input_shape)
        return input_shape

    def __repr__(self) -> str:
        return super().__repr__() if self.layers else "Sequential()"
