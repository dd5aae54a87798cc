"""Softmax and LogSoftmax along one dimension, computed on z - max(z) so that ±1000 is no problem."""

from __future__ import annotations

import numbers

import numpy as np

from ..numerics import log_softmax, softmax
from ..validation import fail
from .module import Layer

__all__ = ["LogSoftmax", "Softmax"]


class _AlongDim(Layer):
    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise fail(type(self).__name__, "dim", "be an integer", dim, error=TypeError)
        self.dim: int = int(dim)

    def _axis(self, x: np.ndarray) -> int:
        if not -x.ndim <= self.dim < x.ndim:
            raise fail(
                repr(self),
                "dim",
                f"be in [{-x.ndim}, {x.ndim - 1}] for an input of shape {x.shape}",
                self.dim,
            )
        return self.dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """y = exp(x) / sum(exp(x)) along ``dim`` (any shape in, same shape out).

    Backward: dL/dx = y * (g - sum(g * y, dim)), the Jacobian diag(y) - y y^T applied to g without
    forming it."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        axis = self._axis(x)
        y = softmax(x, axis)
        self._cache = (y, axis)
        return y

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        y, axis = self._cached()
        g = self._check_grad(grad_out, y.shape)
        if not input_grad:
            return None
        return y * (g - np.sum(g * y, axis=axis, keepdims=True))


class LogSoftmax(_AlongDim):
    """y = x - log(sum(exp(x))) along ``dim``, computed stably (finite at ±1000).

    Backward: dL/dx = g - softmax(x) * sum(g, dim), with softmax(x) = exp(y)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        axis = self._axis(x)
        y = log_softmax(x, axis)
        self._cache = (y, axis)
        return y

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        y, axis = self._cached()
        g = self._check_grad(grad_out, y.shape)
        if not input_grad:
            return None
        return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)
