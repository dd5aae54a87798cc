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
    # onnxruntime's CPU provider has no float64 Conv or AveragePool kernel: those float64 files are
    # run with onnx's reference evaluator instead
    ort_float64: bool = True

    def model(self, dtype: Any, seed: int = 0) -> tnp.Layer:
        rng = np.random.default_rng(seed)
        model = self.build(np.dtype(dtype), rng)
        for p in model.parameters():  # biases start at zero: make every number count
            p.data = (p.data + rng.normal(0, 0.5, p.data.shape)).astype(dtype)
        for layer in model.modules():  # BatchNorm: running statistics that are not 0 and 1
            if "running_var" in layer._buffers:
                n = layer.num_features
                layer.running_mean = rng.normal(0, 1, n).astype(dtype)
                layer.running_var = rng.uniform(0.5, 2, n).astype(dtype)
                layer.num_batches_tracked = np.array(7, dtype=np.int64)
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


def _seq(*layers: tnp.Layer) -> tnp.Sequential:
    return tnp.Sequential(*layers)


def _conv(c_in: int, c_out: int, dt: Any, r: np.random.Generator, *args: Any, **kw: Any) -> tnp.Conv2d:
    return tnp.Conv2d(c_in, c_out, *args, rng=r, dtype=dt, **kw)


CASES += [
    ExportCase("softmax", lambda dt, r: _seq(_lin(7, 5, dt, r), tnp.Softmax(dim=1)), (7,)),
    ExportCase("log-softmax", lambda dt, r: _seq(_lin(7, 5, dt, r), tnp.LogSoftmax(dim=-1)), (7,)),
    ExportCase("softmax-on-axis-1-of-3d", lambda dt, r: _seq(_lin(7, 5, dt, r), tnp.Softmax(dim=1)), (4, 7)),
    ExportCase("flatten", lambda dt, r: _seq(tnp.Flatten(), _lin(60, 3, dt, r)), (3, 4, 5)),
    ExportCase("flatten-dims-2-3", lambda dt, r: _seq(tnp.Flatten(2, 3), _lin(20, 3, dt, r)), (3, 4, 5)),
    ExportCase("flatten-all", lambda dt, r: _seq(_lin(5, 2, dt, r), tnp.Flatten(0)), (4, 5)),
    ExportCase(
        "conv2d", lambda dt, r: _seq(_conv(3, 4, dt, r, 3, stride=2, padding=1), tnp.ReLU()), (3, 9, 9), False
    ),
    ExportCase(
        "conv2d-pairs-no-bias",
        lambda dt, r: _seq(_conv(2, 3, dt, r, (3, 2), stride=(1, 2), padding=(0, 1), bias=False)),
        (2, 7, 8),
        False,
    ),
    ExportCase("maxpool2d", lambda dt, r: _seq(_lin(9, 9, dt, r), tnp.MaxPool2d(2)), (2, 9, 9)),
    ExportCase(
        "maxpool2d-overlapping", lambda dt, r: _seq(_lin(9, 9, dt, r), tnp.MaxPool2d(3, 2)), (2, 9, 9)
    ),
    ExportCase("avgpool2d", lambda dt, r: _seq(_lin(9, 9, dt, r), tnp.AvgPool2d(2)), (2, 9, 9), False),
    ExportCase(
        "avgpool2d-pairs",
        lambda dt, r: _seq(_lin(9, 9, dt, r), tnp.AvgPool2d((3, 2), (2, 1))),
        (2, 9, 9),
        False,
    ),
    ExportCase("batchnorm1d", lambda dt, r: _seq(_lin(7, 5, dt, r), tnp.BatchNorm1d(5, dtype=dt)), (7,)),
    ExportCase("batchnorm1d-on-3d", lambda dt, r: _seq(tnp.BatchNorm1d(5, eps=2**-10, dtype=dt)), (5, 6)),
    ExportCase("batchnorm2d", lambda dt, r: _seq(_lin(6, 6, dt, r), tnp.BatchNorm2d(3, dtype=dt)), (3, 5, 6)),
    ExportCase(
        "small-cnn",
        lambda dt, r: _seq(
            _conv(3, 4, dt, r, 3, padding=1),
            tnp.BatchNorm2d(4, dtype=dt),
            tnp.ReLU(),
            tnp.MaxPool2d(2),
            _seq(tnp.Flatten(), tnp.Dropout(0.3, rng=0), _lin(64, 10, dt, r)),
            tnp.LogSoftmax(dim=1),
        ),
        (3, 8, 8),
        False,
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
