"""Gradient accumulation: ``backward(accumulate=True)`` over two half-batches gives PyTorch's accumulated
gradients (float64, 1e-12), in graph mode (Tensor.backward) and in the Layer protocol
(Sequential.backward / backward_from, layer.backward, a Module's recorded graph); a plain ``backward()``
still overwrites (idempotent); ``optimizer.zero_grad()`` starts a new sum."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tnp
from tinygrad_np import Tensor

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-12, "atol": 1e-12}
RNG = np.random.default_rng(0)
X = RNG.standard_normal((8, 5))
Y_BINARY = RNG.integers(0, 2, (8, 1)).astype(np.float64)
Y_REAL = RNG.standard_normal((8, 1))
HALVES = (slice(0, 4), slice(4, 8))


def mlp(head_sigmoid: bool) -> tnp.Sequential:
    rng = np.random.default_rng(1)
    layers = [tnp.Linear(5, 4, rng=rng), tnp.Tanh(), tnp.Linear(4, 1, rng=rng)]
    return tnp.Sequential(*layers, *([tnp.Sigmoid()] if head_sigmoid else []))


def torch_twin(model: tnp.Module, build) -> torch.nn.Module:
    """The same model in PyTorch (float64), with the same weights (the state dicts share their names)."""
    twin = build().double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return twin


def torch_mlp(model: tnp.Sequential, head_sigmoid: bool) -> torch.nn.Module:
    nn = torch.nn
    return torch_twin(
        model,
        lambda: nn.Sequential(
            nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 1), *([nn.Sigmoid()] if head_sigmoid else [])
        ),
    )


def assert_grads_equal(model: tnp.Module, twin: torch.nn.Module) -> None:
    theirs = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        np.testing.assert_allclose(p.grad, theirs[name].grad.numpy(), **TOL, err_msg=name)


# (our loss, PyTorch's, the targets, the scale of each half's loss: 1 for a sum, 1/2 for a mean)
LOSSES = {
    "BCE sum": (lambda: tnp.BCELoss("sum"), lambda: torch.nn.BCELoss(reduction="sum"), Y_BINARY, 1.0),
    "BCE mean": (lambda: tnp.BCELoss(), lambda: torch.nn.BCELoss(), Y_BINARY, 0.5),
    "MSE sum": (lambda: tnp.MSELoss("sum"), lambda: torch.nn.MSELoss(reduction="sum"), Y_REAL, 1.0),
    "MSE mean": (lambda: tnp.MSELoss(), lambda: torch.nn.MSELoss(), Y_REAL, 0.5),
}


def torch_accumulated(twin: torch.nn.Module, make_loss, y: np.ndarray, scale: float) -> None:
    """PyTorch's habit: one backward per half-batch, the gradients add up in .grad."""
    loss_fn = make_loss()
    for half in HALVES:
        (loss_fn(twin(torch.tensor(X[half])), torch.tensor(y[half])) * scale).backward()


@pytest.mark.parametrize("name", LOSSES)
def test_graph_mode_two_halves_accumulate_to_pytorchs_gradients(name) -> None:
    ours_loss, theirs_loss, y, scale = LOSSES[name]
    sigmoid = name.startswith("BCE")
    model = mlp(sigmoid)
    twin = torch_mlp(model, sigmoid)
    loss_fn = ours_loss()
    for half in HALVES:
        (loss_fn(model(Tensor(X[half])), y[half]) * scale).backward(accumulate=True)
    torch_accumulated(twin, theirs_loss, y, scale)
    assert_grads_equal(model, twin)


@pytest.mark.parametrize("name", LOSSES)
def test_layer_protocol_two_halves_accumulate_to_pytorchs_gradients(name) -> None:
    ours_loss, theirs_loss, y, scale = LOSSES[name]
    sigmoid = name.startswith("BCE")
    model = mlp(sigmoid)
    twin = torch_mlp(model, sigmoid)
    loss_fn = ours_loss()
    for half in HALVES:
        loss_fn(model(X[half]), y[half])
        if scale == 1.0:  # backward_from: with Sigmoid + BCELoss, the (p - y) shortcut below the Sigmoid
            model.backward_from(loss_fn, accumulate=True)
        else:
            model.backward(scale * loss_fn.backward(), accumulate=True)
    torch_accumulated(twin, theirs_loss, y, scale)
    assert_grads_equal(model, twin)


def test_accumulated_halves_equal_the_full_batch_gradient() -> None:
    model, loss_fn = mlp(True), tnp.BCELoss("sum")
    loss_fn(model(X), Y_BINARY)
    model.backward_from(loss_fn)
    full = {n: p.grad.copy() for n, p in model.named_parameters()}
    model.zero_grad()
    for half in HALVES:
        loss_fn(model(X[half]), Y_BINARY[half])
        model.backward_from(loss_fn, accumulate=True)
    for n, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, full[n], **TOL, err_msg=n)


def test_a_single_layers_backward_accumulates_and_returns_this_calls_input_grad() -> None:
    lin = tnp.Linear(5, 3, rng=np.random.default_rng(2))
    twin = torch_twin(lin, lambda: torch.nn.Linear(5, 3))
    g = RNG.standard_normal((8, 3))
    for half in HALVES:
        lin(X[half])
        dx = lin.backward(g[half], accumulate=True)
        xt = torch.tensor(X[half], requires_grad=True)
        (twin(xt) * torch.tensor(g[half])).sum().backward()
        np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL)  # dL/dx of this half only
    assert_grads_equal(lin, twin)


class SkipNet(tnp.Module):
    """A graph Module: a skip connection and fc1 used twice."""

    def __init__(self) -> None:
        super().__init__()
        rng = np.random.default_rng(3)
        self.fc1 = tnp.Linear(5, 5, rng=rng)
        self.fc2 = tnp.Linear(5, 2, rng=rng)

    def forward(self, x):
        return self.fc2(self.fc1(self.fc1(x).tanh()) + x)


class TorchSkipNet(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(5, 5), torch.nn.Linear(5, 2)

    def forward(self, x):
        return self.fc2(self.fc1(self.fc1(x).tanh()) + x)


def _shared_sequential() -> tnp.Sequential:
    lin = tnp.Linear(5, 5, rng=np.random.default_rng(4))
    return tnp.Sequential(lin, tnp.Tanh(), lin, tnp.Linear(5, 2, rng=np.random.default_rng(5)))


def _torch_shared_sequential(model: tnp.Sequential) -> torch.nn.Module:
    lin = torch.nn.Linear(5, 5)
    twin = torch.nn.Sequential(lin, torch.nn.Tanh(), lin, torch.nn.Linear(5, 2)).double()
    state = model.state_dict()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(state["0.weight"]))
        lin.bias.copy_(torch.tensor(state["0.bias"]))
        twin[3].weight.copy_(torch.tensor(state["3.weight"]))
        twin[3].bias.copy_(torch.tensor(state["3.bias"]))
    return twin


@pytest.mark.parametrize("kind", ["graph Module", "Sequential with a repeated layer"])
def test_a_recorded_graph_in_the_layer_protocol_accumulates(kind) -> None:
    """Both record their call as a graph (a Module's forward, a Sequential reusing a layer)."""
    if kind == "graph Module":
        model: tnp.Module = SkipNet()
        twin = torch_twin(model, TorchSkipNet)
    else:
        model = _shared_sequential()
        twin = _torch_shared_sequential(model)
    g = RNG.standard_normal((8, 2))
    for half in HALVES:
        model(X[half])
        dx = model.backward(g[half], input_grad=True, accumulate=True)
        dx_again = model.backward(np.zeros_like(g[half]), input_grad=True, accumulate=True)  # adds 0
        xt = torch.tensor(X[half], requires_grad=True)
        (twin(xt) * torch.tensor(g[half])).sum().backward()
        np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL)
        np.testing.assert_array_equal(dx_again, 0.0)  # this call's dL/dx, not a running sum
    theirs = {n: p.grad.numpy() for n, p in twin.named_parameters()}
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, theirs[name], **TOL, err_msg=name)


def test_a_parameterless_hand_written_layer_in_sequential_is_not_asked_to_accumulate() -> None:
    class Double(tnp.Layer):  # the course's style: forward and backward on ndarrays, no accumulate
        def forward(self, x):
            return 2 * x

        def backward(self, grad_out, input_grad=True):
            return 2 * grad_out

    model = tnp.Sequential(tnp.Linear(5, 3, rng=np.random.default_rng(6)), Double(), tnp.Tanh())
    g = RNG.standard_normal((8, 3))
    for half in HALVES:
        model(X[half])
        model.backward(g[half], accumulate=True)
    w = model[0].weight.grad.copy()
    model(X)
    model.backward(g)
    np.testing.assert_allclose(w, model[0].weight.grad, **TOL)


def test_graph_mode_backward_without_accumulate_overwrites() -> None:
    model, loss_fn = mlp(True), tnp.BCELoss()
    loss_fn(model(Tensor(X[HALVES[0]])), Y_BINARY[HALVES[0]]).backward()
    loss = loss_fn(model(Tensor(X[HALVES[1]])), Y_BINARY[HALVES[1]])
    loss.backward()
    second = {n: p.grad.copy() for n, p in model.named_parameters()}
    loss.backward()  # again: the same, not twice
    twin = torch_mlp(model, True)
    torch.nn.BCELoss()(twin(torch.tensor(X[HALVES[1]])), torch.tensor(Y_BINARY[HALVES[1]])).backward()
    assert_grads_equal(model, twin)
    for n, p in model.named_parameters():
        np.testing.assert_array_equal(p.grad, second[n])


def test_layer_protocol_backward_without_accumulate_overwrites() -> None:
    model, loss_fn = mlp(True), tnp.BCELoss()
    loss_fn(model(X[HALVES[0]]), Y_BINARY[HALVES[0]])
    model.backward_from(loss_fn)
    loss_fn(model(X[HALVES[1]]), Y_BINARY[HALVES[1]])
    model.backward_from(loss_fn)
    model.backward_from(loss_fn)
    twin = torch_mlp(model, True)
    torch.nn.BCELoss()(twin(torch.tensor(X[HALVES[1]])), torch.tensor(Y_BINARY[HALVES[1]])).backward()
    assert_grads_equal(model, twin)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_optimizer_zero_grad_then_accumulate_starts_from_zero(set_to_none) -> None:
    model, loss_fn = mlp(True), tnp.BCELoss("sum")
    opt = tnp.SGD(model.parameters(), lr=0.1)
    loss_fn(model(X), Y_BINARY)
    model.backward_from(loss_fn)  # a stale gradient to forget
    opt.zero_grad(set_to_none=set_to_none)
    for p in model.parameters():
        if set_to_none:
            assert p.grad is None
        else:
            assert p.grad is not None and p.grad.dtype == p.dtype and p.grad.shape == p.shape
            assert not np.any(p.grad)
    for half in HALVES:
        loss_fn(model(X[half]), Y_BINARY[half])
        model.backward_from(loss_fn, accumulate=True)
    twin = torch_mlp(model, True)
    torch_accumulated(twin, lambda: torch.nn.BCELoss(reduction="sum"), Y_BINARY, 1.0)
    assert_grads_equal(model, twin)


def test_zero_grad_keeps_a_missing_gradient_missing_and_defaults_to_none() -> None:
    a, b = tnp.Parameter(np.ones(3)), tnp.Parameter(np.ones(2, np.float32))
    opt = tnp.SGD([a, b], lr=0.1)
    b.grad = np.full(2, 5.0, np.float32)
    opt.zero_grad(set_to_none=False)
    assert a.grad is None
    np.testing.assert_array_equal(b.grad, np.zeros(2, np.float32))
    assert b.grad.dtype == np.float32
    opt.zero_grad()
    assert a.grad is None and b.grad is None
