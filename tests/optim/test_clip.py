"""clip_grad_norm_ against its formula and torch.nn.utils.clip_grad_norm_."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_np as tnp
from tinygrad_np.nn.parameter import Parameter


def _params(scale: float, dtype: type = np.float64) -> list[Parameter]:
    rng = np.random.default_rng(0)
    params = [Parameter(np.zeros(s, dtype=dtype)) for s in [(3, 4), (4,), (2, 2, 2)]]
    for p in params:
        p.grad = (scale * rng.standard_normal(p.shape)).astype(dtype)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("scale", [0.01, 10.0])
def test_matches_torch(norm_type: float | str, scale: float) -> None:
    torch = pytest.importorskip("torch", reason="PyTorch is optional")
    params = _params(scale)
    tparams = [torch.nn.Parameter(torch.tensor(p.data)) for p in params]
    for tp, p in zip(tparams, params, strict=True):
        tp.grad = torch.tensor(p.grad.copy())
    total = tnp.optim.clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm=1.0, norm_type=norm_type)
    assert isinstance(total, float) and total == pytest.approx(float(ttotal), rel=1e-13)
    for tp, p in zip(tparams, params, strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-13, atol=0)


def test_the_formula_by_hand_and_the_dtype_kept() -> None:
    params = _params(10.0, np.float32)
    before = [p.grad for p in params]
    total = tnp.optim.clip_grad_norm_(params, 2.0)
    expected = math.sqrt(sum(float(np.sum(g.astype(np.float64) ** 2)) for g in before))
    assert total == pytest.approx(expected, rel=1e-6)
    for p, g in zip(params, before, strict=True):
        assert p.grad.dtype == np.float32 and p.grad is not g  # a new array: the old one is not written
        np.testing.assert_allclose(p.grad, g * (2.0 / (expected + 1e-6)), rtol=1e-6)
    after = math.sqrt(sum(float(np.sum(p.grad.astype(np.float64) ** 2)) for p in params))
    assert after == pytest.approx(2.0, rel=1e-5)


def test_small_gradients_and_missing_ones_are_left_alone() -> None:
    params = _params(0.01)
    params.append(Parameter(np.zeros(3)))  # no gradient
    before = [p.grad for p in params]
    tnp.optim.clip_grad_norm_(iter(params), 1.0)  # any iterable, as model.parameters()
    assert all(p.grad is g for p, g in zip(params, before, strict=True))
    assert tnp.optim.clip_grad_norm_([Parameter(np.zeros(2))], 1.0) == 0.0


def test_non_finite_total() -> None:
    params = _params(1.0)
    params[0].grad[0, 0] = np.nan
    with pytest.raises(RuntimeError, match=r"^clip_grad_norm_: the total 2.0-norm of the gradients must be finite"):
        tnp.optim.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert math.isnan(tnp.optim.clip_grad_norm_(params, 1.0))  # as PyTorch: scaled by NaN
    assert np.all(np.isnan(params[1].grad))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"max_norm": -1.0}, ValueError, r"^clip_grad_norm_: max_norm must be a finite number in \[0, inf\]"),
        ({"max_norm": math.nan}, ValueError, r"^clip_grad_norm_: max_norm must be a finite number"),
        ({"max_norm": 1.0, "norm_type": 0}, ValueError, r"^clip_grad_norm_: norm_type must be a number > 0 or inf"),
        ({"max_norm": 1.0, "norm_type": "two"}, TypeError, r"^clip_grad_norm_: norm_type must be a number > 0"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        tnp.optim.clip_grad_norm_(_params(1.0), **kwargs)
    with pytest.raises(TypeError, match=r"^clip_grad_norm_: parameters item 0 must be a Parameter or Tensor"):
        tnp.optim.clip_grad_norm_([np.zeros(2)], 1.0)  # type: ignore[list-item]
