"""The Fashion-MNIST models: shapes, state-dict round trips, the validation split, and a short real-data
training run that proves learning (skipped with the reason when the data is absent)."""

from __future__ import annotations

import numpy as np
import pytest
from datafiles import FASHION, needs_fashion_data

import tinygrad_np as tnp
from models.fashion import without_dropout
from models.fashion.model import cnn, describe, mlp, model_from_state, predict_logits
from models.fashion.train import split_train_val, train


@pytest.mark.parametrize(
    ("build", "n_params"),
    [
        (lambda: mlp(), 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10),
        (lambda: cnn((4, 8)), 4 * 9 + 2 * 4 + 8 * 4 * 9 + 2 * 8 + 8 * 7 * 7 * 10 + 10),
    ],
)
def test_shapes_and_parameter_counts(build, n_params: int) -> None:
    model = build()
    x = np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32)
    assert model(x).shape == (3, 10) and model(x).dtype == np.float32
    assert sum(p.data.size for p in model.parameters()) == n_params


@pytest.mark.parametrize(
    "build",
    [
        lambda: mlp((16, 8), batchnorm=True, dropout=0.5, seed=3),
        lambda: cnn((4, 6), dropout=0.5, seed=3),
        lambda: cnn((4,), batchnorm=False, dtype=np.float64),
        lambda: cnn((2, 4), hidden=(8,), dropout=0.5, convs_per_block=2),
    ],
)
def test_state_dict_rebuilds_the_same_model(build) -> None:
    model = build()
    x = np.random.default_rng(1).random((5, 1, 28, 28)).astype(model.dtype)
    # a few training steps so the BatchNorm running statistics are not their initial values
    loss = tnp.CrossEntropyLoss()
    opt = tnp.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(3):
        loss(model(x), np.arange(5))
        model.backward_from(loss)
        opt.step()
    saved = without_dropout(model)
    again = model_from_state(saved.state_dict())
    assert describe(again) == describe(saved)
    np.testing.assert_array_equal(predict_logits(again, x), predict_logits(saved, x))


def test_model_from_state_rejects_other_models() -> None:
    state = tnp.nn.mlp([784, 5, 1], rng=np.random.default_rng(0), dtype=np.float32).state_dict()
    with pytest.raises(ValueError, match="no final Linear with 10 outputs"):
        model_from_state(state)


def test_split_is_stratified_disjoint_and_reproducible() -> None:
    x = np.arange(1000, dtype=np.float32)[:, None]
    y = np.repeat(np.arange(10), 100)
    xt, _, xv, yv = split_train_val(x, y, 200, seed=5)
    assert len(xv) == 200 and len(xt) == 800
    np.testing.assert_array_equal(np.bincount(yv), np.full(10, 20))
    assert set(xt[:, 0]).isdisjoint(xv[:, 0]) and len(set(xt[:, 0]) | set(xv[:, 0])) == 1000
    np.testing.assert_array_equal(split_train_val(x, y, 200, seed=5)[2], xv)
    assert not np.array_equal(split_train_val(x, y, 200, seed=6)[2], xv)
    assert len(split_train_val(x, y, 0)[2]) == 0
    with pytest.raises(ValueError, match="--val-size"):
        split_train_val(x, y, 1000)


@needs_fashion_data
def test_real_data_mlp_learns_in_one_epoch() -> None:
    from tinygrad_np.data.datasets import load_fashion_mnist

    data = load_fashion_mnist(FASHION)
    x, y = data.x_train[:4000], data.y_train[:4000]
    model = mlp(seed=0)
    history = train(model, x, y, epochs=1, lr=1e-3, batch_size=64, progress="none")
    acc = float(np.mean(np.argmax(predict_logits(model, data.x_test[:2000]), axis=1) == data.y_test[:2000]))
    assert history["accuracy"][0] > 0.5
    assert acc > 0.6, f"test accuracy after one epoch on 4000 images: {acc}"
