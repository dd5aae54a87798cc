"""Behaviour of the CNN layers and the multi-class losses: stability at ±1000, float32 kept, clear
errors, buffers in the state dict, repr and summary, and fit() recording accuracy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_np as tnp
from tinygrad_np.numerics import log_softmax, softmax


def cnn(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return tnp.Sequential(
        tnp.Conv2d(1, 3, 3, padding=1, rng=rng, dtype=dtype), tnp.BatchNorm2d(3, dtype=dtype), tnp.ReLU(),
        tnp.MaxPool2d(2), tnp.Flatten(), tnp.Linear(3 * 4 * 4, 4, rng=rng, dtype=dtype),
    )  # fmt: skip


def test_softmax_and_cross_entropy_are_stable_at_1000() -> None:
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warning either
        p, lp = softmax(z, axis=1), log_softmax(z, axis=1)
        loss = tnp.CrossEntropyLoss()
        value = loss(z, np.array([1, 0]))
        grad = loss.backward()
        y = tnp.LogSoftmax()(z)
    assert np.all(np.isfinite(lp)) and np.all(np.isfinite(grad)) and np.isfinite(value)
    np.testing.assert_allclose(p[0], [1, 0, 0])
    np.testing.assert_allclose(lp[1], np.log([1 / 3] * 3))
    assert value == pytest.approx((2000 + np.log(3)) / 2)  # -log p of the true classes, averaged
    np.testing.assert_allclose(grad, (p - np.eye(3)[[1, 0]]) / 2)
    np.testing.assert_array_equal(y, lp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_through_a_cnn_and_its_loss(dtype) -> None:
    model = cnn(dtype)
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8)).astype(dtype)
    out = model(x)
    loss = tnp.CrossEntropyLoss()
    loss(out, np.array([0, 3]))
    g = loss.backward()
    assert out.dtype == dtype and g.dtype == dtype
    assert model.backward(g, input_grad=True).dtype == dtype
    assert all(p.grad.dtype == dtype for p in model.parameters())
    assert model[1].running_mean.dtype == dtype
    for layer in (tnp.Softmax(), tnp.LogSoftmax(), tnp.AvgPool2d(2)):
        assert layer(x).dtype == dtype


def test_conv_first_layer_skips_the_input_gradient() -> None:
    rng = np.random.default_rng(0)
    conv = tnp.Conv2d(2, 3, 3, stride=(1, 2), padding=1, rng=rng)
    x = rng.standard_normal((2, 2, 5, 6))
    y = conv(x)
    g = rng.standard_normal(y.shape)
    assert conv.backward(g, input_grad=False) is None
    # the definition, term by term: dW[o, c, i, j] = sum over n, oh, ow of g[n, o, oh, ow] x_pad[n, c, i + oh, j + 2 ow]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    oh, ow = y.shape[2:]
    expected = np.zeros(conv.weight.shape)
    for i in range(3):
        for j in range(3):
            patch = xp[:, :, i : i + oh, j : j + 2 * ow : 2]  # (N, C, Ho, Wo)
            expected[:, :, i, j] = np.einsum("nohw,nchw->oc", g, patch)
    np.testing.assert_allclose(conv.weight.grad, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.bias.grad, g.sum(axis=(0, 2, 3)), rtol=1e-12, atol=1e-12)
    w_grad, b_grad = conv.weight.grad.copy(), conv.bias.grad.copy()
    assert conv.backward(g).shape == x.shape  # and with the input gradient: the same parameter gradients
    np.testing.assert_array_equal(conv.weight.grad, w_grad)
    np.testing.assert_array_equal(conv.bias.grad, b_grad)


def test_default_conv_init_is_pytorchs_uniform() -> None:
    conv = tnp.Conv2d(8, 16, 3, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(8 * 9)
    assert np.abs(conv.weight.data).max() <= bound and np.abs(conv.bias.data).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.9 * bound
    he = tnp.Conv2d(8, 16, 3, init="he", rng=np.random.default_rng(0))
    assert np.all(he.bias.data == 0) and np.std(he.weight.data) == pytest.approx(np.sqrt(2 / 72), rel=0.1)


def test_batchnorm_buffers_are_saved_cast_and_never_trained(tmp_path) -> None:
    model = cnn()
    opt = tnp.SGD(model.parameters(), lr=0.1)
    assert all(p is not model[1].running_mean for p in model.parameters())
    x = np.random.default_rng(2).standard_normal((4, 1, 8, 8))
    loss = tnp.CrossEntropyLoss()
    loss(model(x), np.array([0, 1, 2, 3]))
    model.backward(loss.backward())
    before = model[1].running_mean.copy()
    opt.step()
    np.testing.assert_array_equal(model[1].running_mean, before)  # the optimiser does not touch it
    state = model.state_dict()
    assert {"1.running_mean", "1.running_var", "1.num_batches_tracked"} <= set(state)
    assert state["1.num_batches_tracked"].shape == () and state["1.num_batches_tracked"] == 1
    model.save(tmp_path / "m.npz")
    other = cnn(seed=5).load(tmp_path / "m.npz")
    model.eval(), other.eval()
    np.testing.assert_array_equal(other(x), model(x))
    model.to(np.float32)
    assert model[1].running_var.dtype == np.float32 and model[1].num_batches_tracked.dtype == np.int64


def test_batchnorm_eval_uses_running_statistics() -> None:
    bn = tnp.BatchNorm1d(2, momentum=1.0)
    x = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0]])
    bn(x)
    np.testing.assert_allclose(bn.running_mean, [3, 30])
    np.testing.assert_allclose(bn.running_var, [4, 400])  # unbiased: sum of squares / (n - 1)
    bn.eval()
    np.testing.assert_allclose(bn(np.array([[3.0, 50.0]])), [[0, 20 / np.sqrt(400 + 1e-5)]])


@pytest.mark.parametrize(
    "make, x, error, match",
    [
        (lambda: tnp.Conv2d(3, 2, 3), np.zeros((1, 2, 5, 5)), ValueError, "3 channels"),
        (lambda: tnp.Conv2d(1, 2, 3), np.zeros((1, 5, 5)), ValueError, r"\(batch, channels, height, width\)"),
        (lambda: tnp.Conv2d(1, 2, 5), np.zeros((1, 1, 3, 3)), ValueError, "at least as large as the kernel"),
        (lambda: tnp.Conv2d(1, 2, 3), np.zeros((1, 1, 5, 5), np.float32), TypeError, "dtype"),
        (lambda: tnp.Conv2d(1, 2, 3), np.zeros((1, 1, 5, 5), np.uint8), TypeError, "/ 255"),
        (lambda: tnp.MaxPool2d(3), np.zeros((1, 1, 2, 5)), ValueError, "kernel"),
        (lambda: tnp.BatchNorm2d(3), np.zeros((2, 3, 4)), ValueError, r"\(batch, 3, height, width\)"),
        (lambda: tnp.BatchNorm1d(3), np.zeros((2, 4)), ValueError, r"\(batch, 3\)"),
        (lambda: tnp.BatchNorm1d(3), np.zeros((1, 3)), ValueError, "more than 1 value per channel"),
        (lambda: tnp.Softmax(2), np.zeros((2, 3)), ValueError, "dim"),
    ],
)
def test_layer_input_errors(make, x, error, match) -> None:
    with pytest.raises(error, match=match):
        make()(x)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: tnp.Conv2d(1, 2, 0), ValueError, "kernel_size"),
        (lambda: tnp.Conv2d(1, 2, (3, 3, 3)), TypeError, "pair"),
        (lambda: tnp.Conv2d(1, 2, 3, padding=-1), ValueError, "padding"),
        (lambda: tnp.Conv2d(1, 2, 2.5), TypeError, "kernel_size"),
        (lambda: tnp.MaxPool2d(2, stride=0), ValueError, "stride"),
        (lambda: tnp.BatchNorm2d(0), ValueError, "num_features"),
        (lambda: tnp.BatchNorm2d(2, momentum=2.0), ValueError, "momentum"),
        (lambda: tnp.CrossEntropyLoss(label_smoothing=1.5), ValueError, "label_smoothing"),
        (lambda: tnp.CrossEntropyLoss(reduction="none"), ValueError, "reduction"),
        (lambda: tnp.Softmax(1.0), TypeError, "dim"),
    ],
)
def test_constructor_errors(make, error, match) -> None:
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    "z, t, error, match",
    [
        (np.zeros((2, 3)), np.array([0, 3]), ValueError, r"class indices in \[0, 2\].*got 3"),
        (np.zeros((2, 3)), np.array([0, -1]), ValueError, "got -1"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), TypeError, "integer class indices.*astype"),
        (np.zeros((2, 3)), np.array([[0], [1]]), ValueError, r"shape \(2,\).*reshape\(-1\)"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), ValueError, r"shape \(2,\)"),
        (np.zeros(3), np.array([0]), ValueError, r"\(batch, classes\)"),
        (np.zeros((2, 3), np.int64), np.array([0, 1]), TypeError, "floating-point"),
    ],
)
def test_cross_entropy_target_errors(z, t, error, match) -> None:
    with pytest.raises(error, match=match):
        tnp.CrossEntropyLoss()(z, t)


def test_repr_and_summary_read_like_pytorch() -> None:
    assert repr(tnp.Conv2d(1, 8, 3, padding=1)) == "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    assert repr(tnp.Conv2d(1, 8, 3, bias=False)) == "Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), bias=False)"
    assert repr(tnp.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2)"
    assert repr(tnp.BatchNorm2d(4)) == "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    assert repr(tnp.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(tnp.LogSoftmax(1)) == "LogSoftmax(dim=1)"
    text = cnn().summary((1, 8, 8))
    for shape in ["(batch, 3, 8, 8)", "(batch, 3, 4, 4)", "(batch, 48)", "(batch, 4)"]:
        assert shape in text
    conv = tnp.Conv2d(1, 2, (3, 5), stride=(2, 1), padding=(0, 2))
    assert conv.output_shape((None, 1, 9, 9)) == (None, 2, 4, 9)
    assert conv(np.zeros((1, 1, 9, 9))).shape == (1, 2, 4, 9)


def test_cross_entropy_classify_baseline_and_fit_records_accuracy() -> None:
    loss = tnp.CrossEntropyLoss()
    y = np.array([0, 0, 1, 3])
    np.testing.assert_array_equal(loss.classify(np.eye(4)[[1, 0, 2, 3]]), [1, 0, 2, 3])
    assert loss.are_class_labels(y) and not loss.are_class_labels(y.astype(float))
    f = np.array([0.5, 0.25, 0.25])
    assert loss.baseline(y) == pytest.approx(-np.sum(f * np.log(f)))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 8, 8))
    labels = (x[:, 0, :4].mean(axis=(1, 2)) > 0).astype(np.int64) + 2 * (x[:, 0, :, :4].mean(axis=(1, 2)) > 0)
    model = cnn()
    hist = tnp.fit(model, loss, tnp.Adam(model.parameters(), lr=0.01), x, labels, epochs=15, batch_size=16,
                   rng=rng, validation_data=(x[:16], labels[:16]), progress="lines", log_every=1000)  # fmt: skip
    assert "accuracy" in hist and "val_accuracy" in hist
    assert hist["accuracy"][-1] > 0.6 > 0.25 + 0.2  # learned beyond chance (0.25)
    assert hist["loss"][-1] < hist["loss"][0]
