"""Layer: the base class. A layer's forward keeps in a cache what its backward needs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .parameter import Parameter


class Layer:
    """Base class of every layer.

    Subclasses implement ``forward(x)`` (storing what backward needs in ``self._cache``) and
    ``backward(grad_out, input_grad=True)``, which sets ``.grad`` on the layer's parameters and returns
    dloss/dx (or ``None`` when ``input_grad`` is False). Backward only reads the cache, so calling it twice
    gives the same result.
    """

    def __init__(self) -> None:
        self.training: bool = True
        self._cache: Any = None

    # -- the two methods every layer defines -------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # -- parameters --------------------------------------------------------------------------------
    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``[(name, Parameter), ...]``, e.g. ``[("weight", w), ("bias", b)]``; empty for most layers."""
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Parameter)]

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget the gradients (``grad = None``); backward overwrites them anyway."""
        for p in self.parameters():
            p.grad = None

    # -- modes and dtype ---------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Layer:
        """Put the layer in training mode (or evaluation mode with ``mode=False``); returns self."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        """Evaluation mode: e.g. Dropout becomes the identity. Returns self."""
        return self.train(False)

    def to(self, dtype: Any) -> Layer:
        """Cast every parameter to ``dtype`` (e.g. ``np.float32``) and drop gradients and cache."""
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"{self._name()}.to() needs a floating-point dtype, got {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        self._cache = None
        return self

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """Shape of the output for an input of ``input_shape`` (``None`` for the batch dimension)."""
        return input_shape

    # -- helpers for subclasses --------------------------------------------------------------------
    def _name(self) -> str:
        return type(self).__name__

    def _check_input(self, x: Any) -> np.ndarray:
        """Return ``x`` as a floating-point array, or raise a TypeError saying how to convert it."""
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            hint = " (for 8-bit images: x.astype(np.float64) / 255)" if x.dtype == np.uint8 else ""
            raise TypeError(
                f"{self!r} expects floating-point input, got dtype {x.dtype}: "
                f"convert with x.astype(np.float64){hint}"
            )
        return x

    def _cached(self) -> Any:
        """The cache left by forward, or a RuntimeError naming the layer."""
        if self._cache is None:
            raise RuntimeError(f"{self!r}.backward() called before forward(): run forward first")
        return self._cache

    def _check_grad(self, grad_out: Any, out_shape: tuple[int, ...]) -> np.ndarray:
        grad_out = np.asarray(grad_out)
        if grad_out.shape != out_shape:
            raise ValueError(
                f"{self!r}.backward() got grad_out of shape {grad_out.shape}, "
                f"expected the shape of its last output {out_shape}"
            )
        return grad_out

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{self._name()}({self.extra_repr()})"
