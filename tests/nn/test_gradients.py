"""Property tests: every layer, every loss and random Sequential stacks against central differences
(float64, relative error < 1e-6 for every parameter and the input), and every forward pass against
its plain NumPy formula. All driven by the tables in cases.py."""

from __future__ import annotations

import numpy as np
import pytest
from cases import ACTIVATIONS, LAYER_BY_CLASS, LAYERS, LOSSES, LayerCase, LossCase, kink_distance
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import (
    arrays,
    batches,
    depths,
    grid_values,
    hard_targets,
    nonzero_values,
    probabilities,
    seeds,
    soft_targets,
    widths,
)

import tinygrad_np as tnp
from tinygrad_np.ops.activations import TanhFunction as TanhFn

TOL = 1e-6
KINK_MARGIN = 1e-3  # 1000 x the finite-difference step: no perturbation crosses a kink


def well_conditioned(report: tnp.GradcheckReport) -> bool:
    """Every tensor's gradient is exactly 0 or well above the finite-difference noise.

    Central differences carry rounding noise of ~1e-16 |f| / eps = 1e-10 |f| per element, so a tensor
    whose whole gradient is ~1e-4 |f| has no meaningful relative error at 1e-6: such draws are skipped,
    like inputs on a ReLU kink.
    """
    floor = 1e-3 * max(1.0, abs(report.value))
    return all(n == 0 or n > floor for n in report.grad_norms.values())


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
@given(data=st.data(), batch=batches, n_in=widths, n_out=widths, seed=seeds)
def test_layer_gradients(case: LayerCase, data, batch, n_in, n_out, seed) -> None:
    layer = case.make(n_in, n_out, np.random.default_rng(seed))
    x = data.draw(arrays((batch, n_in), nonzero_values if case.kinks else grid_values))
    assume(kink_distance(layer, x, LAYER_BY_CLASS) > KINK_MARGIN)
    report = tnp.gradcheck(layer, x, seed=seed)
    assume(well_conditioned(report))
    expected = {name for name, _ in layer.named_parameters()} | {"input"}
    assert set(report.errors) == expected
    assert report.ok(TOL), f"{case.name}:\n{report}"


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
@given(data=st.data(), batch=batches, n_in=widths, n_out=widths, seed=seeds)
def test_layer_forward_matches_formula(case: LayerCase, data, batch, n_in, n_out, seed) -> None:
    layer = case.make(n_in, n_out, np.random.default_rng(seed))
    x = data.draw(arrays((batch, n_in)))
    y = layer(x)
    np.testing.assert_allclose(y, case.reference(x, layer), rtol=1e-12, atol=1e-12)
    assert y.shape == (batch, n_in if case.elementwise else n_out)


def _arrays_or_default(shape, elements):
    return arrays(shape) if elements is None else arrays(shape, elements)


@pytest.mark.parametrize("column", [True, False], ids=["target(batch,1)", "target(batch,)"])
@pytest.mark.parametrize("case", LOSSES, ids=lambda c: c.name)
@given(data=st.data(), batch=batches)
def test_loss_gradients_and_values(case: LossCase, column: bool, data, batch) -> None:
    pred = data.draw(_arrays_or_default((batch, 1), probabilities if case.pred == "probability" else None))
    elements = data.draw(st.sampled_from([hard_targets, soft_targets])) if case.target == "binary" else None
    target = data.draw(_arrays_or_default((batch, 1) if column else (batch,), elements))
    # A gradient that is (nearly) zero has no meaningful relative error: central differences return
    # rounding noise of ~1e-10 there. Keep away from pred == target, as from a ReLU kink.
    grad = case.make()
    grad(pred, target)
    assume(np.linalg.norm(grad.backward()) > 1e-3)
    loss = case.make()
    value = loss(pred, target)
    assert isinstance(value, float)
    assert value == pytest.approx(case.reference(pred, target.reshape(pred.shape)), rel=1e-10, abs=1e-12)
    assert loss.backward().shape == pred.shape
    report = tnp.gradcheck(case.make(), pred, target)
    assert report.ok(TOL), f"{case.name}:\n{report}"


HEADS = ["none", "Sigmoid+BCELoss", "BCEWithLogitsLoss", "MSELoss"]


@given(
    data=st.data(),
    batch=batches,
    depth=depths,
    seed=seeds,
    head=st.sampled_from(HEADS),
)
def test_random_stack_gradients(data, batch, depth, seed, head) -> None:
    rng = np.random.default_rng(seed)
    sizes = [data.draw(widths) for _ in range(depth)] + [1 if head != "none" else data.draw(widths)]
    layers: list[tnp.Layer] = []
    for i in range(depth):
        layers.append(LAYERS[0].make(sizes[i], sizes[i + 1], rng))
        if i < depth - 1 or head == "none":
            act = data.draw(st.sampled_from(ACTIVATIONS))
            layers.append(act.make(sizes[i + 1], sizes[i + 1], rng))
    loss_fn, target = None, None
    if head == "Sigmoid+BCELoss":
        layers.append(tnp.Sigmoid())
        loss_fn = tnp.BCELoss()
    elif head == "BCEWithLogitsLoss":
        loss_fn = tnp.BCEWithLogitsLoss()
    elif head == "MSELoss":
        loss_fn = tnp.MSELoss()
    if loss_fn is not None:
        target = data.draw(arrays((batch, 1), hard_targets))
    model = tnp.Sequential(*layers)
    x = data.draw(arrays((batch, sizes[0])))
    assume(kink_distance(model, x, LAYER_BY_CLASS) > KINK_MARGIN)
    report = tnp.gradcheck(model, x, target, loss_fn, seed=seed)
    assume(well_conditioned(report))
    assert set(report.errors) == {name for name, _ in model.named_parameters()} | {"input"}
    assert report.ok(TOL), f"{model}\n{report}"


class _WrongTanhFn(TanhFn):
    """A deliberately wrong backward (forgets the square): gradcheck must catch it."""

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return (g * (1 - y),)


class _WrongTanh(tnp.Tanh):
    function = _WrongTanhFn


def test_gradcheck_catches_a_wrong_backward() -> None:
    x = np.random.default_rng(0).normal(size=(4, 3))
    report = tnp.gradcheck(_WrongTanh(), x)
    assert not report.ok(TOL)
    assert report.errors["input"] > 1e-2


def test_gradcheck_catches_a_wrong_parameter_gradient() -> None:
    class HalfLinear(tnp.Linear):
        def backward(self, grad_out, input_grad=True):
            dx = super().backward(grad_out, input_grad)
            self.weight.grad *= 0.5
            return dx

    rng = np.random.default_rng(1)
    report = tnp.gradcheck(HalfLinear(3, 2, rng=rng), rng.normal(size=(4, 3)))
    assert report.errors["weight"] > 0.1 and report.errors["input"] < TOL
    assert "weight" in str(report)


def test_gradcheck_works_on_a_float32_model_without_changing_it() -> None:
    rng = np.random.default_rng(2)
    model = tnp.Sequential(
        tnp.Linear(3, 4, rng=rng, dtype=np.float32),
        tnp.Tanh(),
        tnp.Linear(4, 1, rng=rng, dtype=np.float32),
    )
    before = model.state_dict()
    report = tnp.gradcheck(model, rng.normal(size=(5, 3)).astype(np.float32))
    assert report.ok(TOL), str(report)
    assert model.dtype == np.float32
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
