"""Layers, losses and Modules as graph nodes, and shared layers on the array path."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np import Tensor


def course_model(seed: int = 0) -> tnp.Sequential:
    rng = np.random.default_rng(seed)
    return tnp.Sequential(
        tnp.Linear(6, 5, rng=rng), tnp.ReLU(), tnp.Linear(5, 3, rng=rng), tnp.Tanh(),
        tnp.Linear(3, 1, rng=rng), tnp.Sigmoid(),
    )  # fmt: skip


class Residual(tnp.Module):
    def __init__(self, width: int, rng: np.random.Generator) -> None:
        super().__init__()
        self.fc = tnp.Linear(width, width, rng=rng)
        self.act = tnp.Tanh()

    def forward(self, h: Tensor) -> Tensor:
        return h + self.fc(self.act(self.fc(h)))  # self.fc used twice


class Net(tnp.Module):
    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.fc = tnp.Linear(4, 3, rng=rng)
        self.blocks = tnp.ModuleList([Residual(3, rng), Residual(3, rng)])
        self.out = tnp.Linear(3, 1, rng=rng)

    def forward(self, x: Tensor) -> Tensor:
        h = self.fc(x).tanh()
        for block in self.blocks:
            h = block(h)
        return self.out(h)


def grads(model: tnp.Layer) -> dict[str, np.ndarray]:
    return {k: p.grad.copy() for k, p in model.named_parameters()}


@pytest.mark.parametrize("shortcut", [False, True])
def test_sequential_as_graph_nodes_is_bit_identical_to_sequential_backward(shortcut: bool) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(7, 6)), rng.integers(0, 2, 7).astype(float)
    model, loss_fn = course_model(), tnp.BCELoss()
    value = loss_fn(model(x), y)
    if shortcut:
        model.backward_from(loss_fn)
    else:
        model.backward(loss_fn.backward())
    expected = grads(model)
    loss = loss_fn(model(Tensor(x)), y)
    # The graph fuses Sigmoid + BCELoss (nn/loss_nodes.py), which is what backward_from does.
    assert loss.data == value and loss._ctx.name() == "SigmoidBCE"
    loss.backward()
    for k, g in grads(model).items():
        if shortcut:
            np.testing.assert_array_equal(g, expected[k])
        else:
            np.testing.assert_allclose(g, expected[k], rtol=1e-9, atol=1e-15)
    # and layer by layer, the Sigmoid as its own node, from the same dL/dp: bit-identical to backward
    loss_fn(model(x), y)
    dp = loss_fn.backward()
    model.backward(dp)
    expected = grads(model)
    h = Tensor(x)
    for layer in model:
        h = layer(h)
    h.backward(dp)
    for k, g in grads(model).items():
        np.testing.assert_array_equal(g, expected[k])


@pytest.mark.parametrize("k", [2, 3])
def test_a_layer_used_k_times_equals_k_tied_copies(k: int) -> None:
    rng = np.random.default_rng(0)
    lin = tnp.Linear(3, 3, rng=rng)
    x = rng.normal(size=(5, 3))
    h = Tensor(x)
    for _ in range(k):
        h = lin(h).tanh()
    h.sum().backward()
    shared_w = lin.weight.grad.copy()
    copies = [copy.deepcopy(lin) for _ in range(k)]
    h = Tensor(x)
    for c in copies:
        h = c(h).tanh()
    h.sum().backward()
    np.testing.assert_allclose(shared_w, sum(c.weight.grad for c in copies), rtol=1e-12)


def test_shared_layer_in_sequential_array_path_passes_gradcheck() -> None:
    rng = np.random.default_rng(0)
    lin = tnp.Linear(3, 3, rng=rng)
    report = tnp.gradcheck(tnp.Sequential(lin, tnp.Tanh(), lin, tnp.Tanh(), lin), rng.normal(size=(4, 3)))
    assert report.ok(1e-6), str(report)


def test_shared_layer_in_sequential_array_and_graph_paths_agree() -> None:
    rng = np.random.default_rng(0)
    lin = tnp.Linear(3, 3, rng=rng)
    model = tnp.Sequential(lin, tnp.Tanh(), lin)
    x, r = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    model(x)
    model.backward(r)
    expected = lin.weight.grad.copy()
    model.backward(r)  # idempotent
    np.testing.assert_array_equal(lin.weight.grad, expected)
    (model(Tensor(x)) * r).sum().backward()
    np.testing.assert_allclose(lin.weight.grad, expected, rtol=1e-12)


def test_module_passes_gradcheck_with_shared_layers() -> None:
    net = Net(np.random.default_rng(0))
    report = tnp.gradcheck(net, np.random.default_rng(1).normal(size=(5, 4)))
    assert report.ok(1e-6), str(report)
    assert list(report.errors) == [
        "fc.weight", "fc.bias", "blocks.0.fc.weight", "blocks.0.fc.bias", "blocks.1.fc.weight",
        "blocks.1.fc.bias", "out.weight", "out.bias", "input",
    ]  # fmt: skip


def test_module_in_sequential_trains_in_fit_and_saves(tmp_path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(float)
    model = tnp.Sequential(Net(rng), tnp.Sigmoid())
    opt = tnp.Adam(model.parameters(), lr=0.02)
    history = tnp.fit(model, tnp.BCELoss(), opt, x, y, epochs=60, progress="none")
    losses = history.history["loss"] if hasattr(history, "history") else history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    model.save(tmp_path / "net.npz")
    assert "0.blocks.1.fc.weight" in model.state_dict()
    other = tnp.Sequential(Net(np.random.default_rng(5)), tnp.Sigmoid()).load(tmp_path / "net.npz")
    np.testing.assert_array_equal(other(x), model(x))


def test_loss_on_a_tensor_is_a_0d_tensor_with_the_loss_backward() -> None:
    rng = np.random.default_rng(0)
    z = Tensor(rng.normal(size=(6, 1)), requires_grad=True)
    y = rng.integers(0, 2, 6).astype(float)
    loss_fn = tnp.BCEWithLogitsLoss()
    loss = loss_fn(z, y)
    assert loss.shape == () and float(loss) == loss_fn(z.data, y)
    (2 * loss).backward()
    loss_fn(z.data, y)
    np.testing.assert_allclose(z.grad, 2 * loss_fn.backward(), rtol=1e-15)
    F.binary_cross_entropy_with_logits(z, y).backward()
    np.testing.assert_allclose(z.grad, loss_fn.backward(), rtol=1e-12)
