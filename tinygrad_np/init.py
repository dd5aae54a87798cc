"""Initialisers. Every random draw comes from an explicit ``rng``: a ``numpy.random.Generator`` or a
legacy ``numpy.random.RandomState`` (the course's ``np.random.seed(1); np.random.randn(...)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .sequential import Sequential

Rng = np.random.Generator | np.random.RandomState
Initializer = Callable[[tuple[int, int], Rng, np.dtype], np.ndarray]


def _randn(shape: tuple[int, int], rng: Rng) -> np.ndarray:
    # Generator and RandomState both have standard_normal; RandomState's equals its randn(*shape).
    return rng.standard_normal(shape)


def he_normal(shape: tuple[int, int], rng: Rng, dtype: Any = np.float64) -> np.ndarray:
    """He / Kaiming normal for ReLU nets: randn(out, in) * sqrt(2 / in). shape = (out, in)."""
    return (_randn(shape, rng) * np.sqrt(2.0 / shape[1])).astype(dtype, copy=False)


def xavier_normal(shape: tuple[int, int], rng: Rng, dtype: Any = np.float64) -> np.ndarray:
    """Xavier / Glorot normal: randn(out, in) * sqrt(2 / (in + out))."""
    return (_randn(shape, rng) * np.sqrt(2.0 / (shape[0] + shape[1]))).astype(dtype, copy=False)


def xavier_uniform(shape: tuple[int, int], rng: Rng, dtype: Any = np.float64) -> np.ndarray:
    """Xavier / Glorot uniform: U(-a, a) with a = sqrt(6 / (in + out))."""
    a = np.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-a, a, size=shape).astype(dtype, copy=False)


def scaled_normal(
    shape: tuple[int, int], rng: Rng, dtype: Any = np.float64, scale: float = 0.01
) -> np.ndarray:
    """``scale * randn(out, in)``: the course's two-layer model uses 0.01."""
    return (scale * _randn(shape, rng)).astype(dtype, copy=False)


def course_normal(shape: tuple[int, int], rng: Rng, dtype: Any = np.float64) -> np.ndarray:
    """The course's deep-model init: randn(out, in) / sqrt(in) (a division, as the course writes it)."""
    return (_randn(shape, rng) / np.sqrt(shape[1])).astype(dtype, copy=False)


INITIALIZERS: dict[str, Initializer] = {
    "he": he_normal,
    "xavier": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "normal": scaled_normal,
    "course": course_normal,
}


def get(init: str | Initializer) -> Initializer:
    """Look up an initialiser by name, or pass a callable ``(shape, rng, dtype) -> array`` through."""
    if callable(init):
        return init
    try:
        return INITIALIZERS[init]
    except KeyError:
        raise ValueError(f"unknown init {init!r}: expected one of {sorted(INITIALIZERS)}") from None


def initialize(model: Sequential, init: str | Initializer, rng: Rng) -> Sequential:
    """Re-draw every Linear layer's weight with ``init``, layer by layer in order; biases to zero."""
    fn = get(init)
    for layer in model:
        weight = getattr(layer, "weight", None)
        if weight is None:
            continue
        weight.data = np.asarray(fn(weight.shape, rng, weight.dtype), dtype=weight.dtype)
        bias = getattr(layer, "bias", None)
        if bias is not None:
            bias.data = np.zeros_like(bias.data)
    return model


def course_init(model: Sequential, seed: int = 1, scale: str | float = "sqrt_fan_in") -> Sequential:
    """Initialise ``model`` exactly as the course does, and return it.

    ``np.random.seed(seed)`` (a legacy ``RandomState``), then for each Linear in order
    ``W = randn(out, in) / sqrt(in)`` (``scale="sqrt_fan_in"``, the deep L-layer model) or
    ``W = scale * randn(out, in)`` (``scale=0.01``, the two-layer model); biases zero.
    """
    rng = np.random.RandomState(seed)
    if scale == "sqrt_fan_in":
        return initialize(model, course_normal, rng)
    if isinstance(scale, str):
        raise ValueError(f"scale must be 'sqrt_fan_in' or a number, got {scale!r}")
    s = float(scale)
    return initialize(model, lambda shape, r, dtype: scaled_normal(shape, r, dtype, scale=s), rng)
