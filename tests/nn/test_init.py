"""Initialisers: scales, explicit rng, and the course's initialisation exactly."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tnp
from models.cat import course_init


@pytest.mark.parametrize(
    ("name", "std"),
    [("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / 500)), ("xavier_uniform", np.sqrt(2 / 500)),
     ("normal", 0.01), ("course", np.sqrt(1 / 400))],
)  # fmt: skip
def test_initialiser_scale(name, std) -> None:
    w = tnp.init.get(name)((100, 400), np.random.default_rng(0), np.float64)
    assert w.shape == (100, 400)
    assert w.std() == pytest.approx(std, rel=0.03)
    assert abs(w.mean()) < 0.05 * std


def test_linear_default_is_he_and_rng_is_explicit() -> None:
    a = tnp.Linear(400, 100, rng=np.random.default_rng(7))
    np.random.seed(123)  # noqa: NPY002 -- global state must not matter
    b = tnp.Linear(400, 100, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert a.weight.data.std() == pytest.approx(np.sqrt(2 / 400), rel=0.03)
    np.testing.assert_array_equal(a.bias.data, 0)
    c = tnp.Linear(4, 3, init="xavier", rng=np.random.default_rng(0), dtype=np.float32)
    assert c.weight.dtype == np.float32 and c.bias.dtype == np.float32
    with pytest.raises(ValueError, match=r"init must be one of .*'he'.*got kaiming"):
        tnp.Linear(4, 3, init="kaiming")


def test_course_init_matches_the_course_code() -> None:
    dims = [12288, 20, 7, 5, 1]
    model = tnp.Sequential(
        tnp.Linear(12288, 20), tnp.ReLU(), tnp.Linear(20, 7), tnp.ReLU(),
        tnp.Linear(7, 5), tnp.ReLU(), tnp.Linear(5, 1), tnp.Sigmoid(),
    )  # fmt: skip
    model[2].bias.data += 1.0
    assert course_init(model, seed=1) is model
    # The course: np.random.seed(1); W[l] = np.random.randn(dims[l], dims[l-1]) / np.sqrt(dims[l-1])
    legacy = np.random.RandomState(1)
    for i, layer in enumerate(model[::2]):
        expected = legacy.randn(dims[i + 1], dims[i]) / np.sqrt(dims[i])
        np.testing.assert_array_equal(layer.weight.data, expected)
        np.testing.assert_array_equal(layer.bias.data, 0)


def test_course_init_two_layer_scale() -> None:
    model = tnp.Sequential(tnp.Linear(12288, 7), tnp.ReLU(), tnp.Linear(7, 1), tnp.Sigmoid())
    course_init(model, seed=1, scale=0.01)
    legacy = np.random.RandomState(1)
    np.testing.assert_array_equal(model[0].weight.data, legacy.randn(7, 12288) * 0.01)
    np.testing.assert_array_equal(model[2].weight.data, legacy.randn(1, 7) * 0.01)
    with pytest.raises(ValueError, match="scale"):
        course_init(model, scale="tiny")


def test_initialize_with_a_generator_is_reproducible() -> None:
    def make() -> tnp.Sequential:
        return tnp.nn.initialize(
            tnp.Sequential(tnp.Linear(5, 3), tnp.ReLU(), tnp.Linear(3, 1)),
            "xavier",
            np.random.default_rng(3),
        )

    for (ka, va), (kb, vb) in zip(make().state_dict().items(), make().state_dict().items(), strict=True):
        assert ka == kb
        np.testing.assert_array_equal(va, vb)
