"""Element-wise activations: ReLU, LeakyReLU, Sigmoid, Tanh. Each caches what its backward needs."""

from __future__ import annotations

import numpy as np

from ..validation import check_finite_float
from .layer import Layer
from .numerics import stable_sigmoid


class ReLU(Layer):
    """max(x, 0). Gradient 1 where x > 0 and 0 elsewhere (0 at exactly 0)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        self._cache = x > 0
        return np.maximum(x, 0)

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        mask = self._cached()
        g = self._check_grad(grad_out, mask.shape)
        return g * mask if input_grad else None


class LeakyReLU(Layer):
    """x where x > 0, negative_slope * x elsewhere. Gradient negative_slope at exactly 0."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_finite_float("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        # slope is 1 where x > 0 and negative_slope elsewhere; y = slope * x, dy/dx = slope.
        slope = np.where(x > 0, x.dtype.type(1), x.dtype.type(self.negative_slope))
        self._cache = slope
        return x * slope

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        slope = self._cached()
        g = self._check_grad(grad_out, slope.shape)
        return g * slope if input_grad else None

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Layer):
    """1 / (1 + exp(-x)), computed stably. dy/dx = y (1 - y)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = stable_sigmoid(self._check_input(x))
        self._cache = y
        return y

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        y = self._cached()
        g = self._check_grad(grad_out, y.shape)
        return g * y * (1 - y) if input_grad else None


class Tanh(Layer):
    """tanh(x). dy/dx = 1 - y**2."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = np.tanh(self._check_input(x))
        self._cache = y
        return y

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        y = self._cached()
        g = self._check_grad(grad_out, y.shape)
        return g * (1 - y * y) if input_grad else None
