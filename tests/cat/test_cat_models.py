"""The cat model definitions: layer sizes, the course's init draws, rebuilding from weights."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tnp
from models.cat import deep_model, layer_sizes, mlp, model_from_state, two_layer_model


def test_layer_sizes_and_activations() -> None:
    deep, two = deep_model(), two_layer_model()
    assert layer_sizes(deep) == [12288, 20, 7, 5, 1]
    assert layer_sizes(two) == [12288, 7, 1]
    kinds = [type(layer).__name__ for layer in deep]
    assert kinds == ["Linear", "ReLU"] * 3 + ["Linear", "Sigmoid"]
    assert [type(layer).__name__ for layer in two] == ["Linear", "ReLU", "Linear", "Sigmoid"]


def test_course_init_is_the_course_draws() -> None:
    """np.random.seed(1), then per layer randn(out, in) / sqrt(in) (deep) or * 0.01 (two-layer)."""
    rs = np.random.RandomState(1)
    for layer, (n_in, n_out) in zip(deep_model()[::2], [(12288, 20), (20, 7), (7, 5), (5, 1)], strict=True):
        np.testing.assert_array_equal(layer.weight.data, rs.randn(n_out, n_in) / np.sqrt(n_in))
        assert not layer.bias.data.any()
    rs = np.random.RandomState(1)
    two = two_layer_model()
    np.testing.assert_array_equal(two[0].weight.data, rs.randn(7, 12288) * 0.01)
    np.testing.assert_array_equal(two[2].weight.data, rs.randn(1, 7) * 0.01)


def test_he_init_and_seed() -> None:
    a, b, c = deep_model(init="he", seed=3), deep_model(init="he", seed=3), deep_model(init="he")
    np.testing.assert_array_equal(a[0].weight.data, b[0].weight.data)
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)
    assert a[0].weight.data.std() == pytest.approx(np.sqrt(2 / 12288), rel=0.05)
    with pytest.raises(ValueError, match="init must be one of .*got 'orthogonal'"):
        mlp([4, 1], init="orthogonal")
    with pytest.raises(ValueError, match="sets its own scale"):
        mlp([4, 1], init="he", course_scale=0.5)


def test_any_depth_inits() -> None:
    """course + a constant scale is the course's draw for any depth; normal/xavier draw from default_rng."""
    model = mlp([6, 5, 4, 1], init="course", seed=3, course_scale=0.01)
    np.random.seed(3)  # noqa: NPY002 (the course's legacy draws)
    for layer, (n_out, n_in) in zip(model[::2], [(5, 6), (4, 5), (1, 4)], strict=True):
        np.testing.assert_array_equal(layer.weight.data, np.random.randn(n_out, n_in) * 0.01)  # noqa: NPY002
        np.testing.assert_array_equal(layer.bias.data, np.zeros(n_out))
    normal = mlp([6, 5, 1], init="normal", seed=2, course_scale=0.5)
    np.testing.assert_array_equal(
        normal[0].weight.data, 0.5 * np.random.default_rng(2).standard_normal((5, 6))
    )
    xavier = mlp([400, 300, 1], init="xavier", seed=2)
    assert xavier[0].weight.data.std() == pytest.approx(np.sqrt(2 / 700), rel=0.05)


def test_float32_model() -> None:
    model = two_layer_model(dtype=np.float32)
    assert model.dtype == np.float32
    assert model(np.zeros((2, 12288), np.float32)).dtype == np.float32


def test_model_from_state_roundtrip_and_errors() -> None:
    model = mlp([6, 4, 3, 1], init="he", seed=2)
    rebuilt = model_from_state(model.state_dict())
    x = np.random.default_rng(0).random((5, 6))
    np.testing.assert_array_equal(rebuilt(x), model(x))
    with pytest.raises(ValueError, match=r"w\.npz: the keys must be those of a Linear"):
        model_from_state({"weight": np.zeros((1, 3))}, source="w.npz")
    state = mlp([6, 2], seed=0).state_dict() | {"2.weight": np.zeros((1, 2))}
    with pytest.raises(ValueError, match="the keys must be those"):
        model_from_state(state)
    bad = mlp([6, 3], seed=0).state_dict()
    with pytest.raises(ValueError, match="1 output"):
        model_from_state(bad)
    assert isinstance(rebuilt, tnp.Sequential)


def test_binary_report() -> None:
    from models.cat.report import binary_report

    y = np.array([[1], [1], [1], [0], [0]])
    prob = np.array([[0.9], [0.2], [0.6], [0.7], [0.5]])  # 0.5 is not > 0.5: non-cat
    r = binary_report(y, prob)
    assert r["confusion_matrix"] == [[1, 1], [1, 2]]
    assert (r["correct"], r["total"]) == (3, 5) and r["accuracy"] == 0.6
    assert r["precision"] == pytest.approx(2 / 3) and r["recall"] == pytest.approx(2 / 3)
    assert r["f1"] == pytest.approx(2 / 3)
    none = binary_report(np.zeros(3), np.zeros(3))
    assert none["precision"] == none["recall"] == none["f1"] == 0.0 and none["accuracy"] == 1.0
    with pytest.raises(
        ValueError,
        match=r"^metrics: y_true and y_pred_or_prob must have the same number of samples, got 3 and 2$",
    ):
        binary_report(np.zeros(3), np.zeros(2))
