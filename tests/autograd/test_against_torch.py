"""With PyTorch installed: random expressions, a residual Module with a shared layer and
F.cross_entropy agree with torch autograd to 1e-10 in float64."""

from __future__ import annotations

import numpy as np
import pytest
from graph_strategies import values
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np import Tensor

torch = pytest.importorskip("torch")

STEPS = {  # the same expression for both libraries: x, y are Tensors of either kind
    "mul": lambda x, y: x * y,
    "sub_div": lambda x, y: (x - y) / (1.5 + y * y),
    "tanh_sig": lambda x, y: x.tanh() + y.sigmoid(),
    "exp_pow": lambda x, y: (0.3 * x).exp() * y**2,
    "softplus_sqrt": lambda x, y: (x * x + 1).sqrt() - y.softplus(),
}


def _torch_step(name: str, x, y):
    if name == "softplus_sqrt":
        return (x * x + 1).sqrt() - torch.nn.functional.softplus(y)
    return STEPS[name](x, y)


@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    steps=st.lists(st.tuples(st.sampled_from(sorted(STEPS)), st.booleans()), min_size=1, max_size=6),
    data=st.data(),
)
def test_random_expressions_match_torch(shapes, steps, data) -> None:
    arrays = [data.draw(hnp.arrays(np.float64, s, elements=values(-2, 2))) for s in shapes.input_shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    x, y = ours
    tx, ty = theirs
    for name, swap in steps:
        x, y = (y, STEPS[name](x, y)) if swap else (STEPS[name](x, y), y)
        tx, ty = (ty, _torch_step(name, tx, ty)) if swap else (_torch_step(name, tx, ty), ty)
        # Keep values moderate: where tanh or sigmoid saturate, one-ulp differences between NumPy's
        # and torch's elementary functions decide whether a gradient is 0 or 1e-8.
        assume(np.all(np.abs(x.data) < 8) and np.all(np.abs(y.data) < 8))
    (x.sum() + y.sum()).backward()
    (tx.sum() + ty.sum()).backward()
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_residual_module_with_a_shared_layer_matches_torch() -> None:
    rng = np.random.default_rng(0)

    class Residual(tnp.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = tnp.Linear(4, 4, rng=rng)

        def forward(self, h: Tensor) -> Tensor:
            return h + self.fc(self.fc(h).relu())

    class TorchResidual(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(4, 4, dtype=torch.float64)

        def forward(self, h):
            return h + self.fc(torch.relu(self.fc(h)))

    net = tnp.Sequential(tnp.Linear(5, 4, rng=rng), tnp.Tanh(), Residual(), tnp.Linear(4, 3, rng=rng))
    ref = torch.nn.Sequential(
        torch.nn.Linear(5, 4, dtype=torch.float64), torch.nn.Tanh(), TorchResidual(),
        torch.nn.Linear(4, 3, dtype=torch.float64),
    )  # fmt: skip
    ref.load_state_dict({k: torch.tensor(v) for k, v in net.state_dict().items()})
    x, target = rng.normal(size=(8, 5)), rng.integers(0, 3, 8)
    loss = F.cross_entropy(net(Tensor(x)), target)
    loss.backward()
    tloss = torch.nn.functional.cross_entropy(ref(torch.tensor(x)), torch.tensor(target))
    tloss.backward()
    assert abs(float(loss) - tloss.item()) < 1e-12
    theirs = dict(ref.named_parameters())
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, theirs[name].grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_matches_torch_and_is_stable(scale: float) -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 4)) * scale
    logits[0] = [1000.0, -1000.0, 0.0, 1000.0] if scale > 1 else logits[0]
    target = rng.integers(0, 4, 6)
    z = Tensor(logits, requires_grad=True)
    loss = F.cross_entropy(z, target)
    loss.backward()
    tz = torch.tensor(logits, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tz, torch.tensor(target))
    tloss.backward()
    assert np.isfinite(float(loss)) and np.all(np.isfinite(z.grad))
    np.testing.assert_allclose(float(loss), tloss.item(), rtol=1e-10)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-10, atol=1e-14)
    zb = Tensor(logits[:, :1], requires_grad=True)
    yb = (target % 2).astype(float)
    F.binary_cross_entropy_with_logits(zb, yb).backward()
    tzb = torch.tensor(logits[:, :1], requires_grad=True)
    torch.nn.functional.binary_cross_entropy_with_logits(tzb, torch.tensor(yb).reshape(-1, 1)).backward()
    np.testing.assert_allclose(zb.grad, tzb.grad.numpy(), rtol=1e-10, atol=1e-14)
