"""What the fast-path tests share: small data where the path applies (m <= n / 4), a ReLU MLP, and
fit() with the fast path on or off."""

from __future__ import annotations

import numpy as np

from tinygrad_np.nn.activations import ReLU, Sigmoid
from tinygrad_np.nn.container import Sequential
from tinygrad_np.nn.linear import Linear
from tinygrad_np.nn.losses import BCELoss
from tinygrad_np.optim.sgd import SGD
from tinygrad_np.train import fit

M, N = 12, 64  # samples, inputs: m <= n / 4, where the path applies

SGD_SETTINGS = {
    "plain": {},
    "momentum": {"momentum": 0.9},
    "nesterov": {"momentum": 0.9, "nesterov": True},
    "weight decay": {"weight_decay": 0.05},
    "all": {"momentum": 0.8, "dampening": 0.3, "weight_decay": 0.02},
}


def _data(dtype=np.float64, m=M, n=N, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((m, n)).astype(dtype)  # all positive, like pixels: K = x xᵀ has a large common part
    y = (x[:, :3].sum(axis=1) > 1.5).astype(dtype)
    return x, y


def _model(dtype=np.float64, act=ReLU, n=N, seed=1):
    rng = np.random.default_rng(seed)
    return Sequential(
        Linear(n, 10, rng=rng, dtype=dtype), act(), Linear(10, 4, rng=rng, dtype=dtype), act(),
        Linear(4, 1, rng=rng, dtype=dtype), Sigmoid(),
    )  # fmt: skip


def _train(fast, dtype=np.float64, act=ReLU, epochs=150, opt_kw=None, lr=0.5, loss=None, data=None, **kw):
    x, y = data or _data(dtype)
    model = _model(dtype, act)
    opt = SGD(model.parameters(), lr=lr, **(opt_kw or {}))
    history = fit(model, loss or BCELoss(), opt, x, y, epochs=epochs, progress="none", fast_path=fast, **kw)
    return model, opt, history


def _assert_close(a, b, rtol):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_allclose(sa[k], sb[k], rtol=rtol, atol=rtol * np.abs(sb[k]).max(), err_msg=k)
