"""Gradient property tests for the CNN layers and the multi-class losses: float64 central differences
(tnp.gradcheck), relative error < 1e-6 for every parameter and the input, over random shapes, kernel
sizes, strides and paddings. Max-pool ties and BatchNorm's near-constant channels are avoided with
``assume`` (the derivative jumps or the check is ill-conditioned there)."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import arrays, grid_values, seeds

import tinygrad_np as tnp

TOL = 1e-6
small = st.integers(1, 3)
spatial = settings(max_examples=30)  # each example runs hundreds of small forward passes


def well_conditioned(report: tnp.GradcheckReport) -> bool:
    """Every gradient exactly 0 or well above central differences' rounding noise (as test_gradients)."""
    floor = 1e-3 * max(1.0, abs(report.value))
    return all(n == 0 or n > floor for n in report.grad_norms.values())


def check(layer: tnp.Layer, x: np.ndarray, seed: int) -> None:
    report = tnp.gradcheck(layer, x, seed=seed)
    assume(well_conditioned(report))
    assert set(report.errors) == {n for n, _ in layer.named_parameters()} | {"input"}
    assert report.ok(TOL), f"{layer!r}:\n{report}"


@st.composite
def conv_setups(draw: st.DrawFn):
    kh, kw = draw(small), draw(small)
    sh, sw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    h = draw(st.integers(max(1, kh - 2 * ph), 6))
    w = draw(st.integers(max(1, kw - 2 * pw), 6))
    shape = (draw(st.integers(1, 2)), draw(small), h, w)
    return shape, (kh, kw), (sh, sw), (ph, pw)


@spatial
@given(data=st.data(), setup=conv_setups(), out_channels=small, bias=st.booleans(), seed=seeds)
def test_conv2d_gradients(data, setup, out_channels, bias, seed) -> None:
    shape, kernel, stride, padding = setup
    layer = tnp.Conv2d(shape[1], out_channels, kernel, stride, padding, bias, rng=np.random.default_rng(seed))
    check(layer, data.draw(arrays(shape)), seed)


def _windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int]) -> np.ndarray:
    v = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=(2, 3))[:, :, :: stride[0], :: stride[1]]
    return v.reshape(*v.shape[:4], -1)


@st.composite
def pool_setups(draw: st.DrawFn):
    kh, kw = draw(small), draw(small)
    stride = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    shape = (draw(st.integers(1, 2)), draw(small), draw(st.integers(kh, 6)), draw(st.integers(kw, 6)))
    return shape, (kh, kw), stride


@spatial
@given(data=st.data(), setup=pool_setups(), seed=seeds)
def test_maxpool2d_gradients(data, setup, seed) -> None:
    shape, kernel, stride = setup
    layer = tnp.MaxPool2d(kernel, stride)
    x = data.draw(arrays(shape))
    win = np.sort(_windows(x, kernel, layer.stride), axis=-1)
    if win.shape[-1] > 1:  # no tie (and no near-tie a finite difference could flip) for the maximum
        assume(np.min(win[..., -1] - win[..., -2]) > 1e-3)
    check(layer, x, seed)


@spatial
@given(data=st.data(), setup=pool_setups(), seed=seeds)
def test_avgpool2d_gradients(data, setup, seed) -> None:
    shape, kernel, stride = setup
    check(tnp.AvgPool2d(kernel, stride), data.draw(arrays(shape)), seed)


@spatial
@given(
    data=st.data(),
    shape=st.sampled_from([(4, 3), (3, 2, 4), (2, 3, 3, 2), (5, 1), (2, 2, 1, 3)]),
    training=st.booleans(),
    seed=seeds,
)
def test_batchnorm_gradients(data, shape, training, seed) -> None:
    rng = np.random.default_rng(seed)
    layer = (tnp.BatchNorm2d if len(shape) == 4 else tnp.BatchNorm1d)(shape[1])
    layer.weight.data = rng.uniform(0.5, 2.0, shape[1])
    layer.bias.data = rng.normal(size=shape[1])
    layer.running_mean = rng.normal(size=shape[1])
    layer.running_var = rng.uniform(0.5, 2.0, shape[1])
    layer.train(training)
    x = data.draw(arrays(shape))
    axes = (0, *range(2, len(shape)))
    assume(np.min(x.std(axis=axes)) > 0.1)  # a near-constant channel divides by sqrt(var + eps) ~ 0
    check(layer, x, seed)


@given(data=st.data(), shape=st.sampled_from([(3, 4), (2, 3, 4), (1, 5)]), dim=st.integers(-2, 1), seed=seeds)
def test_softmax_and_logsoftmax_gradients(data, shape, dim, seed) -> None:
    x = data.draw(arrays(shape))
    for layer in (tnp.Softmax(dim), tnp.LogSoftmax(dim)):
        check(layer, x, seed)


@given(data=st.data(), seed=seeds)
def test_flatten_gradients(data, seed) -> None:
    check(tnp.Flatten(), data.draw(arrays((2, 2, 3, 2))), seed)


@given(
    data=st.data(),
    n=st.integers(1, 6),
    c=st.integers(2, 6),
    smoothing=st.sampled_from([0.0, 0.1, 0.5]),
    reduction=st.sampled_from(["mean", "sum"]),
    ignore=st.booleans(),
)
def test_cross_entropy_gradients_and_value(data, n, c, smoothing, reduction, ignore) -> None:
    z = data.draw(arrays((n, c), grid_values))
    t = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    if ignore:
        t[0] = -100
    loss = tnp.CrossEntropyLoss(reduction, label_smoothing=smoothing)
    value = loss(z, t)
    # the definition, term by term: -sum_k q_k log softmax(z)_k with q = (1 - s) one_hot + s / C
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    q = (1 - smoothing) * np.eye(c)[np.clip(t, 0, None)] + smoothing / c
    per = -(q * logp).sum(axis=1)[t != -100]
    if len(per) == 0:
        assert np.isnan(value) if reduction == "mean" else value == 0
        return
    expected = per.sum() / (len(per) if reduction == "mean" else 1)
    assert abs(value - expected) <= 1e-12 * max(1.0, abs(expected))
    report = tnp.gradcheck(tnp.CrossEntropyLoss(reduction, label_smoothing=smoothing), z, t)
    assert report.ok(TOL), str(report)


@spatial
@given(data=st.data(), n=st.integers(2, 3), seed=seeds)
def test_small_cnn_with_cross_entropy_gradients(data, n, seed) -> None:
    rng = np.random.default_rng(seed)
    model = tnp.Sequential(
        tnp.Conv2d(1, 2, 3, padding=1, bias=False, rng=rng),  # a bias before BatchNorm has zero gradient
        tnp.BatchNorm2d(2),
        tnp.Tanh(),
        tnp.AvgPool2d(2),
        tnp.Flatten(),
        tnp.Linear(2 * 2 * 2, 3, rng=rng),
    )
    x = data.draw(arrays((n, 1, 4, 4)))
    assume(np.std(x) > 0.1)
    t = rng.integers(0, 3, n)
    report = tnp.gradcheck(model, x, t, tnp.CrossEntropyLoss(), seed=seed)
    assume(well_conditioned(report))
    assert report.ok(TOL), str(report)
