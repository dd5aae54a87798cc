"""The image layers' formulas (ops.conv, ops.pool, ops.norm, ops.shape.Reshape) run two ways: the Layer
protocol (ndarrays, ctx as cache) and graph mode (Tensors) give the same numbers bit for bit, and so do
F.*; BatchNorm's running statistics move the same way on every path (also under no_grad()); a Conv2d
used twice in a Module gets the summed gradient, as in PyTorch."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np import Tensor


def _bn(cls, c: int, training: bool, rng: np.random.Generator) -> tnp.Module:
    layer = cls(c, momentum=0.3)
    layer.weight.data = rng.uniform(0.5, 2.0, c)
    layer.bias.data = rng.normal(size=c)
    layer.running_mean, layer.running_var = rng.normal(size=c), rng.uniform(0.5, 2.0, c)
    return layer.train(training)


LAYERS = {
    "conv": (lambda r: tnp.Conv2d(3, 4, 3, rng=r), (2, 3, 7, 6)),
    "conv-stride-pad-no-bias": (lambda r: tnp.Conv2d(3, 2, (3, 2), (2, 1), (1, 2), bias=False, rng=r), (2, 3, 7, 6)),
    "maxpool": (lambda r: tnp.MaxPool2d(2), (2, 3, 8, 6)),
    "maxpool-overlap": (lambda r: tnp.MaxPool2d(3, 1), (2, 3, 7, 6)),
    "avgpool": (lambda r: tnp.AvgPool2d((2, 3), (1, 2)), (2, 3, 7, 6)),
    "bn2d-train": (lambda r: _bn(tnp.BatchNorm2d, 3, True, r), (4, 3, 5, 2)),
    "bn2d-eval": (lambda r: _bn(tnp.BatchNorm2d, 3, False, r), (4, 3, 5, 2)),
    "bn1d-train": (lambda r: _bn(tnp.BatchNorm1d, 3, True, r), (6, 3)),
    "flatten": (lambda r: tnp.Flatten(), (2, 3, 4, 5)),
}  # fmt: skip


@pytest.mark.parametrize("name", list(LAYERS))
def test_graph_mode_equals_the_layer_protocol_bit_for_bit(name: str) -> None:
    make, shape = LAYERS[name]
    rng = np.random.default_rng(0)
    layer = make(rng)
    x = rng.standard_normal(shape)
    x[0, ..., :2] = 0.5  # ties for the max pools
    twin = copy.deepcopy(layer)
    y = layer(x)
    g = rng.standard_normal(y.shape)
    dx = layer.backward(g)
    xt = Tensor(x, requires_grad=True)
    yt = twin(xt)
    yt.backward(g)
    np.testing.assert_array_equal(yt.data, y)
    np.testing.assert_array_equal(xt.grad, dx)
    for (n, p), (_, q) in zip(layer.named_parameters(), twin.named_parameters(), strict=True):
        np.testing.assert_array_equal(q.grad, p.grad, err_msg=n)
    for (n, b), (_, c) in zip(layer.named_buffers(), twin.named_buffers(), strict=True):
        np.testing.assert_array_equal(c, b, err_msg=n)


def test_functional_equals_the_layers_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 8, 7))
    conv = tnp.Conv2d(2, 4, 3, stride=2, padding=(1, 0), rng=rng)
    bn = _bn(tnp.BatchNorm2d, 4, True, rng)
    twin = copy.deepcopy(bn)
    layers = tnp.Sequential(conv, bn, tnp.ReLU(), tnp.MaxPool2d(2, 1), tnp.AvgPool2d(2))
    y = layers(x)
    g = rng.standard_normal(y.shape)
    dx = layers.backward(g, input_grad=True)
    expected = {n: p.grad.copy() for n, p in layers.named_parameters()}
    xt = Tensor(x, requires_grad=True)
    h = F.conv2d(xt, conv.weight, conv.bias, stride=2, padding=(1, 0))
    h = F.batch_norm(h, twin.running_mean, twin.running_var, bn.weight, bn.bias, True, 0.3, 1e-5)
    h = F.avg_pool2d(F.max_pool2d(h.relu(), 2, 1), 2)
    h.backward(g)
    np.testing.assert_array_equal(h.data, y)
    np.testing.assert_array_equal(xt.grad, dx)
    for n, p in layers.named_parameters():
        np.testing.assert_array_equal(p.grad, expected[n], err_msg=n)
    np.testing.assert_array_equal(twin.running_mean, bn.running_mean)  # F updated them in place
    np.testing.assert_array_equal(twin.running_var, bn.running_var)


@pytest.mark.parametrize("path", ["ndarray", "tensor", "frozen-tensor"])
def test_batchnorm_running_statistics_move_under_no_grad_too(path: str) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 3, 4, 4))
    reference = _bn(tnp.BatchNorm2d, 3, True, rng)
    layer = copy.deepcopy(reference)
    expected = reference(x)  # ndarray, grad enabled: the statistics come from the ctx kept as cache
    if path == "frozen-tensor":  # nothing requires grad: no graph is recorded
        for p in layer.parameters():
            p.requires_grad = False
        y = layer(Tensor(x))
        assert y._ctx is None
    else:
        with tnp.no_grad():
            y = layer(x if path == "ndarray" else Tensor(x))
        assert layer._cache is None
    np.testing.assert_array_equal(y.data if isinstance(y, Tensor) else y, expected)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_array_equal(getattr(layer, name), getattr(reference, name), err_msg=name)


def test_conv_used_twice_in_a_module_gets_the_summed_gradient_as_torch() -> None:
    torch = pytest.importorskip("torch")

    class Twice(tnp.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = tnp.Conv2d(3, 3, 3, padding=1, rng=np.random.default_rng(3))
            self.pool = tnp.MaxPool2d(2)

        def forward(self, x):
            return self.pool(self.conv(self.conv(x).relu()) + x)

    class TorchTwice(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 3, 3, padding=1).double()

        def forward(self, x):
            return torch.nn.functional.max_pool2d(self.conv(self.conv(x).relu()) + x, 2)

    rng = np.random.default_rng(4)
    ours, theirs = Twice(), TorchTwice()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = rng.standard_normal((2, 3, 6, 6))
    g = rng.standard_normal((2, 3, 3, 3))
    xt, px = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours(xt).backward(g)
    theirs(px).backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad, px.grad.numpy(), rtol=1e-10, atol=1e-12)
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(
            dict(ours.named_parameters())[name].grad, p.grad.numpy(), rtol=1e-10, atol=1e-12
        )
    # and the Layer protocol (the Module called on an ndarray) gives the same gradients
    w_grad = ours.conv.weight.grad.copy()
    ours(x)
    np.testing.assert_array_equal(ours.backward(g), xt.grad)
    np.testing.assert_array_equal(ours.conv.weight.grad, w_grad)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 2), (2, 1)])
def test_maxpool_gradient_is_the_same_for_a_channels_major_input(kernel, stride) -> None:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 6, 7))
    x_cm = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)  # a Conv2d output's layout
    pool, pool_cm = tnp.MaxPool2d(kernel, stride), tnp.MaxPool2d(kernel, stride)
    y, y_cm = pool(x), pool_cm(x_cm)
    g = rng.standard_normal(y.shape)
    dx, dx_cm = pool.backward(g), pool_cm.backward(g)
    np.testing.assert_array_equal(y_cm, y)
    np.testing.assert_array_equal(dx_cm, dx)
    assert dx.flags.c_contiguous and dx_cm.transpose(1, 0, 2, 3).flags.c_contiguous  # dx in x's layout
