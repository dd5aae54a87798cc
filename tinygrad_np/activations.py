"""Element-wise activations: ReLU, LeakyReLU, Sigmoid, Tanh. Each caches what its backward needs."""

from __future__ import annotations

import numpy as np

from .layer import Layer


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow: with e = exp(-|z|) <= 1, sigmoid is 1/(1+e) for z >= 0
    and e/(1+e) for z < 0. Finite for any finite z, dtype preserved."""
    e = np.exp(-np.abs(z))
    num = np.where(z >= 0, np.ones_like(e), e)
    e += 1
    return np.divide(num, e, out=num)


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
        self.negative_slope = float(negative_slope)

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
    """1 / (1 + exp(-x)), computed stably. dy/dx = y (1 - y).

    When its output goes straight into ``BCELoss``, the loss hands back the gradient w.r.t. this
    layer's input, p - y, and backward uses it as it is: no division by p (1 - p) and back.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        y = stable_sigmoid(self._check_input(x))
        self._cache = y
        return y

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        y = self._cached()
        fused = getattr(grad_out, "logit_grad_for", None)
        if fused is not None and fused[0] is y:
            return fused[1] if input_grad else None  # BCELoss's dL/dz = (p - y) / N
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
