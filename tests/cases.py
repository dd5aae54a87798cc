"""One table of layers and one of losses. It drives the forward tests (against a plain NumPy formula)
and the gradient tests (against central differences), as minitorch's shared function table does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import tinygrad_np as tnp


@dataclass(frozen=True)
class LayerCase:
    name: str
    make: Callable[[int, int, np.random.Generator], tnp.Layer]  # (in_width, out_width, rng) -> layer
    reference: Callable[[np.ndarray, tnp.Layer], np.ndarray]  # the forward pass in plain NumPy
    kinks: tuple[float, ...] = ()  # inputs where the derivative jumps: gradient checks keep away
    elementwise: bool = True  # output shape = input shape


def _linear(bias: bool) -> Callable[[int, int, np.random.Generator], tnp.Layer]:
    def make(i: int, o: int, rng: np.random.Generator) -> tnp.Layer:
        layer = tnp.Linear(i, o, bias=bias, rng=rng)
        if layer.bias is not None:  # random biases, so the bias path is really exercised
            layer.bias.data = rng.normal(size=o)
        return layer

    return make


def _linear_ref(x: np.ndarray, layer: tnp.Layer) -> np.ndarray:
    y = x @ layer.weight.data.T
    return y + layer.bias.data if layer.bias is not None else y


LAYERS: list[LayerCase] = [
    LayerCase("Linear", _linear(True), _linear_ref, elementwise=False),
    LayerCase("Linear(bias=False)", _linear(False), _linear_ref, elementwise=False),
    LayerCase("ReLU", lambda i, o, rng: tnp.ReLU(), lambda x, _: np.where(x > 0, x, 0.0), (0.0,)),
    LayerCase(
        "LeakyReLU",
        lambda i, o, rng: tnp.LeakyReLU(0.1),
        lambda x, _: np.where(x > 0, x, 0.1 * x),
        (0.0,),
    ),
    LayerCase("Sigmoid", lambda i, o, rng: tnp.Sigmoid(), lambda x, _: 1 / (1 + np.exp(-x))),
    LayerCase("Tanh", lambda i, o, rng: tnp.Tanh(), lambda x, _: np.tanh(x)),
]
ACTIVATIONS = [c for c in LAYERS if c.elementwise]


@dataclass(frozen=True)
class LossCase:
    name: str
    make: Callable[[], tnp.Loss]
    reference: Callable[[np.ndarray, np.ndarray], float]  # mean loss in plain NumPy
    pred: str  # "probability" (in (0, 1)), or "real"
    target: str  # "binary" (values in [0, 1]) or "real"


LOSSES: list[LossCase] = [
    LossCase(
        "BCELoss",
        tnp.BCELoss,
        lambda p, y: float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))),
        "probability",
        "binary",
    ),
    LossCase(
        "BCEWithLogitsLoss",
        tnp.BCEWithLogitsLoss,
        lambda z, y: float(
            -np.mean(y * np.log(1 / (1 + np.exp(-z))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-z))))
        ),
        "real",
        "binary",
    ),
    LossCase("MSELoss", tnp.MSELoss, lambda p, y: float(np.mean((p - y) ** 2)), "real", "real"),
]


def kink_distance(model: tnp.Layer, x: np.ndarray, cases: dict[str, LayerCase]) -> float:
    """The smallest distance from any kinked layer's input to its kink, over a forward pass."""
    layers = list(model) if isinstance(model, tnp.Sequential) else [model]
    best = np.inf
    for layer in layers:
        case = cases.get(type(layer).__name__)
        if case is not None and case.kinks and x.size:
            best = min(best, min(float(np.min(np.abs(x - k))) for k in case.kinks))
        x = layer(x)
    return best


LAYER_BY_CLASS = {"ReLU": LAYERS[2], "LeakyReLU": LAYERS[3]}
