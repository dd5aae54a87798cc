"""One table of layers and one of losses. It drives the forward tests (against a plain NumPy formula)
and the gradient tests (against central differences), as minitorch's shared function table does."""

from __future__ import annotations

import math
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


_erf = np.vectorize(math.erf)  # the reference: Python's erf, one number at a time


def _layer_norm(width: int, rng: np.random.Generator) -> tnp.Layer:
    # eps = 0.5: with the default 1e-5 a row of two values normalises to about (-1, 1) whatever x is,
    # and dL/dx (~eps / var) drowns in central differences' rounding (test_gpt_layers uses the default)
    layer = tnp.LayerNorm(width, eps=0.5)
    layer.weight.data, layer.bias.data = rng.normal(size=width), rng.normal(size=width)  # exercised
    return layer


def _layer_norm_ref(x: np.ndarray, layer: tnp.Layer) -> np.ndarray:
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + layer.eps) * layer.weight.data + layer.bias.data


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
    LayerCase("GELU", lambda i, o, rng: tnp.GELU(), lambda x, _: x * 0.5 * (1 + _erf(x / math.sqrt(2)))),
    LayerCase(
        "GELU(tanh)",
        lambda i, o, rng: tnp.GELU("tanh"),
        lambda x, _: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    LayerCase("LayerNorm", lambda i, o, rng: _layer_norm(i, rng), lambda x, m: _layer_norm_ref(x, m)),
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
