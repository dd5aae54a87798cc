"""Models from a list of sizes: the one place that writes Linear → activation → … → Linear → head;
and ``initialize``, which re-draws the weights of every Linear in a model."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from ..validation import check_int, fail
from .activations import ReLU, Sigmoid
from .container import Sequential
from .dropout import Dropout
from .init import Initializer, Rng, get
from .linear import Linear
from .module import Layer


def mlp(
    sizes: Sequence[int],
    *,
    rng: Rng,
    init: str | Initializer = "he",
    output_init: str | Initializer | None = None,
    activation: Callable[[], Layer] = ReLU,
    head: Callable[[], Layer] | None = Sigmoid,
    dtype: Any = np.float64,
    dropout: float = 0.0,
    dropout_after: Collection[int] | None = None,
    dropout_rng: np.random.Generator | None = None,
) -> Sequential:
    """``Linear(sizes[0], sizes[1]) → activation → … → Linear(sizes[-2], sizes[-1]) → head``.

    Input (m, sizes[0]), output (m, sizes[-1]). Weights are drawn in layer order from ``rng`` with
    ``init`` (``output_init`` for the last Linear, default ``init``). ``dropout > 0`` puts a Dropout
    after the hidden activations numbered in ``dropout_after`` (default: all), its masks drawn from
    ``dropout_rng`` (default: ``rng`` itself). ``head=None`` ends on the last Linear (logits).
    """
    if isinstance(sizes, str | bytes) or len(sizes) < 2:
        raise fail("mlp", "sizes", "list at least an input and an output size", sizes, error=TypeError)
    sizes = [check_int("mlp", f"sizes[{i}]", n) for i, n in enumerate(sizes)]
    hidden = len(sizes) - 2
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        last = i == hidden
        layer_init = output_init if (last and output_init is not None) else init
        layers.append(Linear(n_in, n_out, init=layer_init, rng=rng, dtype=dtype))
        if last:
            break
        layers.append(activation())
        if dropout and (dropout_after is None or i in dropout_after):
            gen = dropout_rng if dropout_rng is not None else rng
            if not isinstance(gen, np.random.Generator):
                raise fail(
                    "mlp", "dropout_rng", "be an np.random.Generator", type(gen).__name__, error=TypeError
                )
            layers.append(Dropout(dropout, rng=gen))
    if head is not None:
        layers.append(head())
    return Sequential(*layers)


def linear_sizes(model: Layer) -> list[int]:
    """[in_features of the first Linear, out_features of each Linear] in tree order,
    e.g. [12288, 20, 7, 5, 1]."""
    linears = [layer for layer in model.modules() if isinstance(layer, Linear)]
    if not linears:
        return []
    return [linears[0].in_features] + [layer.out_features for layer in linears]


def initialize(model: Layer, init: str | Initializer, rng: Rng) -> Layer:
    """Re-draw the weight of every Linear in ``model`` (nested ones included) with ``init``, in
    the order ``model.modules()`` lists them (a Sequential's positions); biases to zero. Returns model."""
    fn = get(init)
    for layer in model.modules():
        if not isinstance(layer, Linear):
            continue
        weight = layer.weight
        weight.data = np.asarray(fn(weight.shape, rng, weight.dtype), dtype=weight.dtype)
        weight._version += 1  # new values: a graph that saved the old ones must not backward
        if layer.bias is not None:
            layer.bias.data = np.zeros_like(layer.bias.data)
            layer.bias._version += 1
    return model
