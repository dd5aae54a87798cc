"""Initialisers. Every random draw comes from an explicit ``rng``: a ``numpy.random.Generator`` or a
legacy ``numpy.random.RandomState`` (the course's ``np.random.seed(1); np.random.randn(...)``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..validation import fail

Rng = np.random.Generator | np.random.RandomState
Initializer = Callable[[tuple[int, ...], Rng, np.dtype], np.ndarray]


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel) as in PyTorch."""
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _randn(shape: tuple[int, ...], rng: Rng) -> np.ndarray:
    # Generator and RandomState both have standard_normal; RandomState's equals its randn(*shape).
    return rng.standard_normal(shape)


def he_normal(shape: tuple[int, ...], rng: Rng, dtype: Any = np.float64) -> np.ndarray:
    """He / Kaiming normal for ReLU nets: randn(out, in) * sqrt(2 / in). shape = (out, in)."""
    return (_randn(shape, rng) * np.sqrt(2.0 / fans(shape)[0])).astype(dtype, copy=False)


def xavier_normal(shape: tuple[int, ...], rng: Rng, dtype: Any = np.float64) -> np.ndarray:
    """Xavier / Glorot normal: randn(out, in) * sqrt(2 / (in + out))."""
    return (_randn(shape, rng) * np.sqrt(2.0 / sum(fans(shape)))).astype(dtype, copy=False)


def xavier_uniform(shape: tuple[int, ...], rng: Rng, dtype: Any = np.float64) -> np.ndarray:
    """Xavier / Glorot uniform: U(-a, a) with a = sqrt(6 / (in + out))."""
    a = np.sqrt(6.0 / sum(fans(shape)))
    return rng.uniform(-a, a, size=shape).astype(dtype, copy=False)


def scaled_normal(
    shape: tuple[int, ...], rng: Rng, dtype: Any = np.float64, scale: float = 0.01
) -> np.ndarray:
    """``scale * randn(out, in)``: the course's two-layer model uses 0.01."""
    return (scale * _randn(shape, rng)).astype(dtype, copy=False)


def course_normal(shape: tuple[int, ...], rng: Rng, dtype: Any = np.float64) -> np.ndarray:
    """The course's deep-model init: randn(out, in) / sqrt(in) (a division, as the course writes it)."""
    return (_randn(shape, rng) / np.sqrt(fans(shape)[0])).astype(dtype, copy=False)


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
        raise fail("init", "init", f"be one of {sorted(INITIALIZERS)} or a callable", init) from None
