import numpy as np
import pytest

from tinygrad_np.nn.activations import ReLU, Sigmoid
from tinygrad_np.nn.container import Sequential
from tinygrad_np.nn.dropout import Dropout
from tinygrad_np.nn.linear import Linear


def test_expected_value_and_keep_rate():
    p = 0.3
    d = Dropout(p, rng=np.random.default_rng(0))
    x = np.full((400, 500), 2.0)
    y = d(x)
    kept = y != 0
    # kept units are scaled by 1/(1-p); about 1 - p of them are kept
    np.testing.assert_allclose(y[kept], 2.0 / (1 - p))
    assert kept.mean() == pytest.approx(1 - p, abs=0.005)  # 200k draws: sd ~ 0.001
    assert y.mean() == pytest.approx(2.0, rel=0.01)


def test_backward_reuses_the_cached_mask_and_is_idempotent():
    d = Dropout(0.5, rng=np.random.default_rng(1))
    x = np.random.default_rng(2).standard_normal((8, 6))
    y = d(x)
    g = np.random.default_rng(3).standard_normal((8, 6))
    dx1 = d.backward(g)
    dx2 = d.backward(g)
    np.testing.assert_array_equal(dx1, dx2)  # no new mask drawn
    mask = np.divide(y, x)  # x has no zeros
    np.testing.assert_allclose(dx1, g * mask)
    assert d.backward(g, input_grad=False) is None


def test_a_new_mask_per_forward_reproducible_with_a_seed():
    x = np.ones((5, 5))
    a = Dropout(0.5, rng=np.random.default_rng(7))
    b = Dropout(0.5, rng=7)  # an int seed builds the same Generator
    first, second = a(x), a(x)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(b(x), first)
    np.testing.assert_array_equal(b(x), second)


def test_eval_is_identity_and_train_restores_dropout():
    d = Dropout(0.9, rng=np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((4, 3))
    assert d.eval() is d and not d.training
    np.testing.assert_array_equal(d(x), x)
    g = np.ones_like(x)
    np.testing.assert_array_equal(d.backward(g), g)
    d.train()
    assert d.training and np.count_nonzero(d(np.ones((50, 50)))) < 2500


def test_sequential_train_eval_recursive_and_return_the_model():
    rng = np.random.default_rng(0)
    inner = Sequential(Linear(4, 4, rng=rng), Dropout(0.5, rng=rng))
    model = Sequential(inner, ReLU(), Dropout(0.5, rng=rng), Linear(4, 1, rng=rng))
    assert model.eval() is model
    assert not any(m.training for m in [model, inner, inner[1], model[2], model[3]])
    x = rng.standard_normal((3, 4))
    np.testing.assert_array_equal(model(x), model(x))  # deterministic in eval mode
    assert model.train() is model
    assert all(m.training for m in [model, inner, inner[1], model[2], model[3]])
    assert inner.train(False) is inner and not inner[1].training and model[2].training


def test_edge_probabilities_and_errors():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    np.testing.assert_array_equal(Dropout(0.0, rng=0)(x), x)
    d = Dropout(1.0, rng=0)
    np.testing.assert_array_equal(d(x), 0.0)
    np.testing.assert_array_equal(d.backward(np.ones_like(x)), 0.0)
    x32 = x.astype(np.float32)
    assert Dropout(0.5, rng=0)(x32).dtype == np.float32
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Dropout(1.5, rng=0)
    with pytest.raises(TypeError, match="rng must be an np.random.Generator"):
        Dropout(0.5, rng="seed")
    with pytest.raises(RuntimeError, match="before forward"):
        Dropout(0.5, rng=0).backward(np.ones(3))
    with pytest.raises(TypeError, match="floating"):
        Dropout(0.5, rng=0)(np.ones(3, dtype=np.int64))
    assert repr(Dropout(0.25, rng=0)) == "Dropout(p=0.25)"


def test_every_layer_has_train_and_eval_returning_itself():
    from tinygrad_np.nn.activations import LeakyReLU, Tanh

    for layer in [Linear(2, 2), ReLU(), LeakyReLU(), Sigmoid(), Tanh(), Dropout(0.5, rng=0)]:
        assert layer.training
        assert layer.eval() is layer and not layer.training
        assert layer.train() is layer and layer.training
        assert layer.train(False) is layer and not layer.training
