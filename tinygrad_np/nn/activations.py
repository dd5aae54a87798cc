"""Element-wise activations: ReLU, LeakyReLU, Sigmoid, Tanh, GELU. Each runs its formula in
``ops.activations`` (forward and backward side by side there)."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..ops import activations as fn
from ..validation import check_finite_float, fail
from .module import Module


class _Activation(Module):
    _array_forward = True
    function: type[Function]

    def forward(self, x: Any) -> Any:
        """x: any shape -> the same shape."""
        self._check_input(x)
        return self._call_function(self.function, x)


class ReLU(_Activation):
    """max(x, 0). Gradient 1 where x > 0 and 0 elsewhere (0 at exactly 0)."""

    function = fn.ReLUFunction


class Sigmoid(_Activation):
    """1 / (1 + exp(-x)), computed stably. dy/dx = y (1 - y)."""

    function = fn.SigmoidFunction


class Tanh(_Activation):
    """tanh(x). dy/dx = 1 - y**2."""

    function = fn.TanhFunction


class LeakyReLU(_Activation):
    """x where x > 0, negative_slope * x elsewhere. Gradient negative_slope at exactly 0."""

    function = fn.LeakyReLUFunction

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_finite_float("LeakyReLU", "negative_slope", negative_slope)

    def forward(self, x: Any) -> Any:
        self._check_input(x)
        return self._call_function(fn.LeakyReLUFunction, x, slope=self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


GELU_APPROXIMATIONS = ("none", "tanh")


def check_approximate(who: str, approximate: Any) -> str:
    if approximate not in GELU_APPROXIMATIONS:
        raise fail(who, "approximate", f"be one of {GELU_APPROXIMATIONS}", repr(approximate))
    return str(approximate)


class GELU(_Activation):
    """x Φ(x), Φ the standard normal CDF (``approximate="none"``), or x/2 (1 + tanh(sqrt(2/π) (x + 0.044715
    x³))) with ``approximate="tanh"``, as PyTorch's."""

    function = fn.GELUFunction

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = check_approximate("GELU", approximate)

    def forward(self, x: Any) -> Any:
        self._check_input(x)
        return self._call_function(fn.GELUFunction, x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"
