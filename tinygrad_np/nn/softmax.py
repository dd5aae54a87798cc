"""Softmax and LogSoftmax along one dimension (finite at ±1000). The formulas, forward and backward, are
``ops.softmax.SoftmaxFunction`` and ``ops.softmax.LogSoftmaxFunction``."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..ops import softmax as fn
from .module import Module

__all__ = ["LogSoftmax", "Softmax"]


class _AlongDim(Module):
    _array_forward = True
    function: type[Function]

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim: int = fn.check_dim(type(self).__name__, dim)

    def forward(self, x: Any) -> Any:
        """x: any shape with ``dim`` among its dimensions -> the same shape."""
        self._check_input(x)
        return self._call_function(self.function, x, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """y = exp(x) / sum(exp(x)) along ``dim``; dL/dx = y * (g - sum(g * y, dim))."""

    function = fn.SoftmaxFunction


class LogSoftmax(_AlongDim):
    """y = x - log(sum(exp(x))) along ``dim``; dL/dx = g - exp(y) * sum(g, dim)."""

    function = fn.LogSoftmaxFunction
