"""The models every export test runs: one table, one row per supported layer (and a few mixes).

Each case builds a tinygrad_np model in a given dtype with random, non-zero weights and biases, and
gives the shape of one example. A new layer's export is tested by adding a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_np as tnp


@dataclass(frozen=True)
class ExportCase:
    name: str
    build: Callable[[Any, np.random.Generator], tnp.Layer]
    example_shape: tuple[int, ...]

    def model(self, dtype: Any, seed: int = 0) -> tnp.Layer:
        rng = np.random.default_rng(seed)
        model = self.build(np.dtype(dtype), rng)
        for p in model.parameters():  # biases start at zero: make every number count
            p.data = (p.data + rng.normal(0, 0.5, p.data.shape)).astype(dtype)
        return model

    def inputs(self, batch: int, dtype: Any, seed: int = 1) -> np.ndarray:
        return (2 * np.random.default_rng(seed).standard_normal((batch, *self.example_shape))).astype(dtype)


def _lin(n_in: int, n_out: int, dtype: Any, rng: np.random.Generator, bias: bool = True) -> tnp.Linear:
    return tnp.Linear(n_in, n_out, bias=bias, rng=rng, dtype=dtype)


CASES = [
    ExportCase("linear", lambda dt, r: tnp.Sequential(_lin(7, 5, dt, r)), (7,)),
    ExportCase("bare-linear-no-bias", lambda dt, r: _lin(7, 5, dt, r, bias=False), (7,)),
    ExportCase("linear-on-3d", lambda dt, r: tnp.Sequential(_lin(7, 5, dt, r), tnp.ReLU()), (4, 7)),
    ExportCase("relu", lambda dt, r: tnp.Sequential(_lin(7, 5, dt, r), tnp.ReLU()), (7,)),
    ExportCase("leaky-relu-0.25", lambda dt, r: tnp.Sequential(_lin(7, 5, dt, r), tnp.LeakyReLU(0.25)), (7,)),
    # 0.1 is not a float32: the float64 export carries it as a float64 tensor (PRelu)
    ExportCase("leaky-relu-0.1", lambda dt, r: tnp.Sequential(_lin(7, 5, dt, r), tnp.LeakyReLU(0.1)), (7,)),
    ExportCase("sigmoid", lambda dt, r: tnp.Sequential(_lin(7, 5, dt, r), tnp.Sigmoid()), (7,)),
    ExportCase("tanh", lambda dt, r: tnp.Sequential(_lin(7, 5, dt, r), tnp.Tanh()), (7,)),
    ExportCase(
        "dropout",
        lambda dt, r: tnp.Sequential(_lin(7, 5, dt, r), tnp.Dropout(0.5, rng=0), _lin(5, 3, dt, r)),
        (7,),
    ),
    ExportCase(
        "nested",
        lambda dt, r: tnp.Sequential(
            _lin(9, 8, dt, r),
            tnp.Tanh(),
            tnp.Sequential(_lin(8, 6, dt, r), tnp.LeakyReLU(0.1), tnp.Sequential(_lin(6, 4, dt, r))),
            tnp.Sigmoid(),
        ),
        (9,),
    ),
    ExportCase(
        "cat-like-mlp",
        lambda dt, r: tnp.nn.mlp([48, 20, 7, 5, 1], rng=r, dtype=dt, dropout=0.2),
        (48,),
    ),
]
IDS = [c.name for c in CASES]
DTYPES = [np.float32, np.float64]


def assert_same_outputs(got: np.ndarray, want: np.ndarray) -> None:
    """Equal shape and dtype, and every element within 1e-6 (float32) or 1e-12 (float64) of
    max(1, the output's largest magnitude).

    Not elementwise relative: where a sum cancels, both engines' float32 results differ from the exact
    one by far more than 1e-6 of the tiny result, and onnxruntime's float32 Sigmoid is an approximation
    with an absolute error up to 1.6e-7 (measured), i.e. 100% relative error for outputs near 1e-8."""
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype, want.shape, want.dtype)
    rtol = 1e-6 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=0, atol=rtol * max(1.0, float(np.max(np.abs(want)))))
