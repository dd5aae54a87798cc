"""The layer and loss contract: shapes, idempotent backward, dtype, extreme inputs, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from cases import LAYERS, LOSSES, LayerCase
from hypothesis import given
from strategies import batches, seeds, widths

import tinygrad_np as tnp

FLOAT_ERRORS = {"over": "raise", "invalid": "raise", "divide": "raise"}  # underflow to 0 is fine


def _layer(case: LayerCase, n_in: int = 3, n_out: int = 2, dtype=np.float64) -> tnp.Layer:
    return case.make(n_in, n_out, np.random.default_rng(0)).to(dtype)


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
@given(batch=batches, n_in=widths, n_out=widths, seed=seeds)
def test_output_and_gradient_shapes(case, batch, n_in, n_out, seed) -> None:
    layer = case.make(n_in, n_out, np.random.default_rng(seed))
    x = np.random.default_rng(seed).normal(size=(batch, n_in))
    y = layer(x)
    assert y.shape == (batch, n_in if case.elementwise else n_out)
    np.testing.assert_allclose(y, case.reference(x, layer), rtol=1e-12, atol=1e-15)
    assert layer.backward(np.ones_like(y)).shape == x.shape
    for p in layer.parameters():
        assert p.grad.shape == p.data.shape and p.grad.dtype == p.data.dtype
    # the values too: every gradient against central differences (inputs are off the kinks almost surely)
    assert tnp.gradcheck(layer, x).ok(1e-6)


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_backward_is_idempotent_and_overwrites(case) -> None:
    layer = _layer(case)
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(4, 3)), None
    y = layer(x)
    g = rng.normal(size=y.shape)
    dx1 = layer.backward(g)
    grads1 = [p.grad.copy() for p in layer.parameters()]
    dx2 = layer.backward(g)  # backward twice: the same, never accumulated
    np.testing.assert_array_equal(dx1, dx2)
    for p, g1 in zip(layer.parameters(), grads1, strict=True):
        np.testing.assert_array_equal(p.grad, g1)
    layer(x)  # forward + backward again on the same batch: the same gradients
    np.testing.assert_array_equal(layer.backward(g), dx1)
    for p, g1 in zip(layer.parameters(), grads1, strict=True):
        np.testing.assert_array_equal(p.grad, g1)
    assert layer.backward(g, input_grad=False) is None


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_backward_before_forward_names_the_layer(case) -> None:
    layer = _layer(case)
    with pytest.raises(RuntimeError, match=type(layer).__name__ + r".*before forward"):
        layer.backward(np.ones((2, 2)))


@pytest.mark.parametrize("case", LOSSES, ids=lambda c: c.name)
def test_loss_backward_before_forward(case) -> None:
    with pytest.raises(RuntimeError, match=case.name):
        case.make().backward()


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_float32_stays_float32(case) -> None:
    layer = _layer(case, dtype=np.float32)
    x = np.random.default_rng(2).normal(size=(5, 3)).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32
    dx = layer.backward(np.ones_like(y))
    assert dx.dtype == np.float32
    assert all(p.data.dtype == np.float32 and p.grad.dtype == np.float32 for p in layer.parameters())


def test_float32_model_end_to_end() -> None:
    rng = np.random.default_rng(3)
    model = tnp.Sequential(
        tnp.Linear(6, 4, rng=rng, dtype=np.float32),
        tnp.ReLU(),
        tnp.Linear(4, 1, rng=rng, dtype=np.float32),
        tnp.Sigmoid(),
    )
    x = rng.normal(size=(8, 6)).astype(np.float32)
    y = (rng.random(8) > 0.5).astype(np.float64)  # float64 labels are fine: cast to the prediction's dtype
    for loss_fn in (tnp.BCELoss(),):
        out = model(x)
        assert out.dtype == np.float32
        loss_fn(out, y)
        g = loss_fn.backward()
        assert g.dtype == np.float32
        dx = model.backward(g, input_grad=True)
        assert dx.dtype == np.float32
    opt = tnp.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    opt.step()
    assert all(p.data.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
    for z in (rng.normal(size=(8, 1)).astype(np.float32),):
        lf = tnp.BCEWithLogitsLoss()
        lf(z, y)
        assert lf.backward().dtype == np.float32


@pytest.mark.parametrize("case", LAYERS, ids=lambda c: c.name)
def test_integer_input_is_a_clear_type_error(case) -> None:
    layer = _layer(case)
    with pytest.raises(TypeError, match=r"uint8.*astype"):
        layer(np.zeros((2, 3), dtype=np.uint8))


def test_model_names_layer_on_bad_input() -> None:
    model = tnp.Sequential(tnp.Linear(12288, 20), tnp.ReLU(), tnp.Linear(20, 1), tnp.Sigmoid())
    with pytest.raises(
        ValueError,
        match=r"layer 0: Linear\(in_features=12288.*\(batch, 12288\).*\(209, 64, 64, 3\)",
    ):
        model(np.zeros((209, 64, 64, 3)))
    with pytest.raises(ValueError, match=r"layer 0.*\(batch, 12288\), got \(5, 100\)"):
        model(np.zeros((5, 100)))
    with pytest.raises(TypeError, match=r"layer 0.*uint8.*/ 255"):
        model(np.zeros((2, 12288), dtype=np.uint8))
    with pytest.raises(TypeError, match=r"input must have the weights' dtype float64, got float32.*astype"):
        model(np.zeros((2, 12288), dtype=np.float32))


def test_linear_accepts_leading_dimensions_like_pytorch() -> None:
    layer = tnp.Linear(3, 2, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(4, 5, 3))
    y = layer(x)
    assert y.shape == (4, 5, 2)
    np.testing.assert_allclose(y, x @ layer.weight.data.T + layer.bias.data)
    dx = layer.backward(np.ones_like(y))
    assert dx.shape == x.shape
    np.testing.assert_allclose(layer.weight.grad, np.ones((20, 2)).T @ x.reshape(20, 3))


def test_backward_checks_the_gradient_shape() -> None:
    layer = tnp.Linear(3, 2)
    layer(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"Linear.*grad_out must have the shape of the last output \(4, 2\), got \(4, 3\)"):
        layer.backward(np.zeros((4, 3)))


def test_relu_gradient_is_zero_at_zero() -> None:
    relu = tnp.ReLU()
    relu(np.array([[-1.0, 0.0, 2.0]]))
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])
    leaky = tnp.LeakyReLU(0.2)
    np.testing.assert_allclose(leaky(np.array([[-1.0, 0.0, 2.0]])), [[-0.2, 0.0, 2.0]])
    np.testing.assert_allclose(leaky.backward(np.ones((1, 3))), [[0.2, 0.2, 1.0]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_is_stable_at_extremes(dtype) -> None:
    x = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype=dtype)
    s = tnp.Sigmoid()
    with np.errstate(**FLOAT_ERRORS):
        y = s(x)
        g = s.backward(np.ones_like(y))
    assert y.dtype == dtype and np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    assert y[0, 0] == 0.0 and y[0, -1] == 1.0 and y[0, 2] == 0.5
    # sigmoid(-50) = e^-50 / (1 + e^-50) ~ 1.9e-22: representable (not flushed to 0) in both dtypes
    np.testing.assert_allclose(y[0, 1], np.exp(-50.0), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_is_finite_at_probabilities_zero_and_one(dtype) -> None:
    p = np.array([[0.0], [1.0], [0.0], [1.0]], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    loss = tnp.BCELoss()
    with np.errstate(**FLOAT_ERRORS):
        value = loss(p, y)
        g = loss.backward()
    assert np.isfinite(value) and value == pytest.approx(50.0)  # two perfect, two at log(0) = -100
    assert np.all(np.isfinite(g)) and g.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_then_bce_is_finite_and_exact_at_extremes(dtype) -> None:
    z = np.array([[-1000.0], [1000.0], [-1000.0], [1000.0]], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    model = tnp.Sequential(tnp.Sigmoid())
    loss = tnp.BCELoss()
    with np.errstate(**FLOAT_ERRORS):
        loss(model(z), y)
        dz = model.backward_from(loss, input_grad=True)
    # the shortcut's gradient w.r.t. the logit is (p - y) / N, even where p(1 - p) underflows to 0
    np.testing.assert_array_equal(dz, np.array([[0.0], [0.0], [-0.25], [0.25]], dtype=dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_with_logits_is_stable_at_extremes(dtype) -> None:
    z = np.array([[-1000.0], [1000.0], [-1000.0], [1000.0]], dtype=dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    loss = tnp.BCEWithLogitsLoss()
    with np.errstate(**FLOAT_ERRORS):
        value = loss(z, y)
        g = loss.backward()
    assert value == pytest.approx(500.0)  # two perfect, two off by 1000 nats
    np.testing.assert_array_equal(g, np.array([[0.0], [0.0], [-0.25], [0.25]], dtype=dtype))


def test_fused_and_unfused_sigmoid_backward_agree() -> None:
    rng = np.random.default_rng(4)
    z, y = rng.normal(size=(6, 1)), (rng.random(6) > 0.5).astype(float)
    sig, loss = tnp.Sigmoid(), tnp.BCELoss()
    p = sig(z)
    loss(p, y)
    fused = tnp.Sequential(sig).backward_from(loss, input_grad=True)  # the shortcut: (p - y) / N
    unfused = sig.backward(loss.backward())  # the generic chain rule through dL/dp
    np.testing.assert_allclose(fused, unfused, rtol=1e-12)
    np.testing.assert_allclose(fused, (p - y[:, None]) / 6, rtol=1e-12)
    np.testing.assert_allclose(loss.logit_grad(), fused, rtol=0)


@pytest.mark.parametrize("case", LOSSES, ids=lambda c: c.name)
def test_loss_rejects_a_target_of_another_length(case) -> None:
    with pytest.raises(
        ValueError,
        match=r"targets must have shape \(5,\) or \(5, 1\) to match predictions \(5, 1\), got shape \(4,\)",
    ):
        case.make()(np.full((5, 1), 0.5), np.zeros(4))


@pytest.mark.parametrize("loss", [tnp.BCELoss(), tnp.BCEWithLogitsLoss()], ids=repr)
@pytest.mark.parametrize("bad", [2.0, -0.5, np.nan])
def test_bce_rejects_targets_outside_0_1(loss, bad) -> None:
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        loss(np.full((3, 1), 0.5), np.array([0.0, bad, 1.0]))


def test_bce_rejects_probabilities_outside_0_1() -> None:
    with pytest.raises(ValueError, match="predictions .*must lie in"):
        tnp.BCELoss()(np.array([[1.5]]), np.array([1.0]))
    assert np.isnan(tnp.BCELoss()(np.array([[np.nan]]), np.array([1.0])))  # a NaN passes through


def test_loss_value_is_a_python_float_and_sum_reduction() -> None:
    p, y = np.array([[0.2], [0.9]]), np.array([0.0, 1.0])
    mean = tnp.BCELoss()(p, y)
    assert type(mean) is float
    assert tnp.BCELoss(reduction="sum")(p, y) == pytest.approx(2 * mean)
    with pytest.raises(ValueError, match="reduction"):
        tnp.BCELoss(reduction="none")


def test_the_layer_protocol_writes_a_new_gradient_into_the_old_grad_array_but_never_when_accumulating() -> None:
    rng = np.random.default_rng(7)
    layer, x, g = tnp.Linear(5, 3, rng=rng), rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    layer(x)
    layer.backward(g)
    first = layer.weight.grad
    np.testing.assert_allclose(first, g.T @ x, rtol=1e-14)
    layer(2 * x)
    layer.backward(g)
    assert layer.weight.grad is first  # reused (grad_buffer): no new weight-sized array per step
    np.testing.assert_allclose(first, g.T @ (2 * x), rtol=1e-14)
    kept = layer.weight.grad
    layer.backward(g, accumulate=True)
    assert layer.weight.grad is not kept  # accumulating adds into a new array: the old one is not changed
    np.testing.assert_allclose(kept, g.T @ (2 * x), rtol=1e-14)
    np.testing.assert_allclose(layer.weight.grad, 2 * g.T @ (2 * x), rtol=1e-14)
