"""Each optimiser's update checked against its definition, by hand, on small arrays."""

import math

import numpy as np
import pytest

from tinygrad_np.nn.parameter import Parameter
from tinygrad_np.optim.adam import Adam, AdamW
from tinygrad_np.optim.sgd import SGD


def _param(values, grad=None):
    p = Parameter(np.array(values, dtype=np.float64))
    if grad is not None:
        p.grad = np.array(grad, dtype=np.float64)
    return p


def _steps(opt, p, grads):
    """Run one step per gradient in ``grads`` (as a fresh backward would set it)."""
    for g in grads:
        p.grad = np.array(g, dtype=np.float64)
        opt.step()
    return p.data


# -- SGD ----------


def test_sgd_plain_and_weight_decay_by_hand():
    p = _param([1.0, 2.0], grad=[0.5, -1.0])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, 2.1])

    # g + wd * p = [0.5 + 0.1, -1 + 0.2] = [0.6, -0.8]
    p = _param([1.0, 2.0], grad=[0.5, -1.0])
    SGD([p], lr=0.1, weight_decay=0.1).step()
    np.testing.assert_allclose(p.data, [1 - 0.06, 2 + 0.08])


def test_sgd_momentum_and_dampening_by_hand():
    g = np.array([1.0, -2.0])
    # buf1 = g, buf2 = 0.9 g + g = 1.9 g, buf3 = 0.9 * 1.9 g + g = 2.71 g
    p = _param([0.0, 0.0])
    _steps(SGD([p], lr=0.1, momentum=0.9), p, [g, g, g])
    np.testing.assert_allclose(p.data, -0.1 * (1 + 1.9 + 2.71) * g)

    # dampening 0.5: buf1 = g (first step is not damped), buf2 = 0.9 g + 0.5 g = 1.4 g
    p = _param([0.0, 0.0])
    _steps(SGD([p], lr=0.1, momentum=0.9, dampening=0.5), p, [g, g])
    np.testing.assert_allclose(p.data, -0.1 * (1 + 1.4) * g)


def test_sgd_nesterov_by_hand():
    g = np.array([1.0, -2.0])
    # step 1: buf = g, update g + 0.9 g = 1.9 g
    # step 2: buf = 1.9 g, update g + 0.9 * 1.9 g = 2.71 g
    p = _param([0.0, 0.0])
    _steps(SGD([p], lr=0.1, momentum=0.9, nesterov=True), p, [g, g])
    np.testing.assert_allclose(p.data, -0.1 * (1.9 + 2.71) * g)


def test_sgd_momentum_with_weight_decay_and_changing_gradients():
    """Against a plain-Python transcription of torch.optim.SGD, element by element."""
    lr, mu, damp, wd = 0.05, 0.8, 0.1, 0.01
    rng = np.random.default_rng(0)
    grads = rng.standard_normal((6, 3))
    p = _param([0.5, -1.0, 2.0])
    start = p.data.copy()
    _steps(SGD([p], lr=lr, momentum=mu, dampening=damp, weight_decay=wd), p, grads)
    for j in range(3):
        theta, buf = float(start[j]), None
        for t in range(6):
            d = float(grads[t, j]) + wd * theta
            buf = d if buf is None else mu * buf + (1 - damp) * d
            theta -= lr * buf
        assert p.data[j] == pytest.approx(theta, rel=1e-12)


def test_sgd_skips_parameters_without_grad():
    a, b = _param([1.0], grad=[1.0]), _param([1.0])
    SGD([a, b], lr=0.5, momentum=0.9).step()
    assert a.data[0] == 0.5 and b.data[0] == 1.0
    assert b not in SGD([a, b], lr=0.5).state


# -- Adam ----------


def test_adam_two_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    p = _param([1.0])
    opt = Adam([p], lr=lr)
    _steps(opt, p, [[0.5]])
    # step 1: m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25: a move of lr * 0.5 / 0.5 = lr
    assert p.data[0] == pytest.approx(1 - lr * 0.5 / (0.5 + eps), rel=1e-12)
    assert p.data[0] == pytest.approx(0.9, abs=1e-7)
    _steps(opt, p, [[-0.25]])
    m = b1 * 0.05 + (1 - b1) * -0.25  # 0.02
    v = b2 * 0.00025 + (1 - b2) * 0.0625  # 0.00031225
    m_hat, v_hat = m / (1 - b1**2), v / (1 - b2**2)
    assert m == pytest.approx(0.02) and v == pytest.approx(0.00031225)
    expected = 1 - lr * 0.5 / (0.5 + eps) - lr * m_hat / (math.sqrt(v_hat) + eps)
    assert p.data[0] == pytest.approx(expected, rel=1e-12)
    assert int(opt.state[p]["step"]) == 2
    np.testing.assert_allclose(opt.state[p]["exp_avg"], [m])
    np.testing.assert_allclose(opt.state[p]["exp_avg_sq"], [v])


def _reference_adam(theta, grads, lr, b1, b2, eps, wd, decoupled):
    """torch.optim.Adam / AdamW's pseudo-code, transcribed for one scalar."""
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta -= lr * wd * theta
        else:
            g = g + wd * theta
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        theta -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return theta


@pytest.mark.parametrize("cls, decoupled", [(Adam, False), (AdamW, True)])
def test_adam_and_adamw_weight_decay_against_definition(cls, decoupled):
    lr, betas, eps, wd = 0.01, (0.8, 0.99), 1e-6, 0.3
    grads = np.random.default_rng(1).standard_normal((7, 4))
    p = _param([0.3, -2.0, 1.5, 0.0])
    start = p.data.copy()
    _steps(cls([p], lr=lr, betas=betas, eps=eps, weight_decay=wd), p, grads)
    for j in range(4):
        ref = _reference_adam(float(start[j]), grads[:, j], lr, *betas, eps, wd, decoupled)
        assert p.data[j] == pytest.approx(ref, rel=1e-10, abs=1e-14)


def test_adamw_differs_from_adam_with_l2_only_through_weight_decay():
    grads = np.random.default_rng(2).standard_normal((5, 3))
    results = {}
    for name, opt_cls, wd in [("adam0", Adam, 0.0), ("adamw0", AdamW, 0.0), ("adam", Adam, 0.1),
                              ("adamw", AdamW, 0.1)]:  # fmt: skip
        p = _param([1.0, -1.0, 0.5])
        results[name] = _steps(opt_cls([p], lr=0.01, weight_decay=wd), p, grads).copy()
    np.testing.assert_array_equal(results["adam0"], results["adamw0"])
    assert not np.allclose(results["adam"], results["adamw"])
    assert AdamW([_param([1.0])]).weight_decay == 1e-2  # PyTorch's default


def test_adam_keeps_state_per_parameter_object_and_float32():
    a = Parameter(np.ones(3, dtype=np.float32))
    b = Parameter(np.ones((2, 2), dtype=np.float32))
    a.grad, b.grad = np.full(3, 0.5, np.float32), None
    opt = Adam([a, b], lr=0.1)
    opt.step()
    assert set(opt.state) == {a}  # b had no grad: no state, not updated
    assert a.data.dtype == np.float32 and opt.state[a]["exp_avg"].dtype == np.float32
    np.testing.assert_array_equal(b.data, 1.0)


def test_adam_rejects_bad_hyperparameters():
    with pytest.raises(ValueError, match="betas"):
        Adam([_param([1.0])], betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW([_param([1.0])], weight_decay=-1)


# -- state_dict / load_state_dict ----------


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda ps: Adam(ps, lr=0.01, weight_decay=0.1),
        lambda ps: AdamW(ps, lr=0.01, betas=(0.5, 0.9)),
    ],
)
def test_state_dict_round_trip_resumes_exactly(make):
    rng = np.random.default_rng(3)
    grads = rng.standard_normal((8, 2, 3))
    p = _param(np.ones((2, 3)))
    opt = make([p])
    _steps(opt, p, grads[:4])
    opt.lr *= 0.5  # as a schedule would: the state must carry the current lr
    state = opt.state_dict()
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in state.values())
    assert all(not k.startswith("state/") or k.startswith("state/0/") for k in state)
    saved_weights = p.data.copy()
    _steps(opt, p, grads[4:])

    # A fresh optimiser on a fresh Parameter, as after a restart
    q = _param(saved_weights)
    opt2 = make([q])
    opt2.lr = 123.0
    opt2.load_state_dict(state)
    assert opt2.lr == opt.lr
    assert set(opt2.state) <= {q}  # keyed by the new Parameter object
    _steps(opt2, q, grads[4:])
    np.testing.assert_array_equal(q.data, p.data)


def test_state_dict_is_a_copy_and_survives_npz(tmp_path):
    p = _param([1.0, 2.0])
    opt = Adam([p], lr=0.1)
    _steps(opt, p, [[1.0, 1.0]])
    state = opt.state_dict()
    before = state["state/0/exp_avg"].copy()
    _steps(opt, p, [[1.0, 1.0]])
    np.testing.assert_array_equal(state["state/0/exp_avg"], before)
    np.savez(tmp_path / "opt.npz", **state)
    with np.load(tmp_path / "opt.npz", allow_pickle=False) as f:
        loaded = {k: f[k] for k in f.files}
    opt2 = Adam([_param([1.0, 2.0])])
    opt2.load_state_dict(loaded)
    assert opt2.betas == (0.9, 0.999) and isinstance(opt2.betas[0], float)
    assert int(opt2.state[opt2.params[0]]["step"]) == 1


def test_load_state_dict_rejects_mismatches_and_changes_nothing():
    p = _param([1.0, 2.0])
    opt = Adam([p], lr=0.1)
    _steps(opt, p, [[1.0, 1.0]])
    state = opt.state_dict()
    with pytest.raises(ValueError, match="for a Adam"):
        SGD([_param([1.0, 2.0])], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="1 parameters"):
        Adam([_param([1.0, 2.0]), _param([3.0])]).load_state_dict(state)
    fresh = Adam([_param([1.0, 2.0, 3.0])], lr=0.5)
    with pytest.raises(ValueError, match="shape"):
        fresh.load_state_dict(state)
    assert fresh.state == {} and fresh.lr == 0.5


# -- against PyTorch itself (optional) ----------


@pytest.mark.parametrize(
    "ours, theirs, kwargs",
    [
        (SGD, "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2, "weight_decay": 0.05}),
        (SGD, "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
        (Adam, "Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
        (AdamW, "AdamW", {"lr": 0.01, "weight_decay": 0.2}),
    ],
)
def test_matches_torch_optim(ours, theirs, kwargs):
    torch = pytest.importorskip("torch", reason="PyTorch is optional")
    rng = np.random.default_rng(4)
    start = rng.standard_normal((3, 4))
    grads = rng.standard_normal((6, 3, 4))
    p = _param(start)
    _steps(ours([p], **kwargs), p, grads)
    t = torch.nn.Parameter(torch.from_numpy(start.copy()))
    opt = getattr(torch.optim, theirs)([t], **kwargs)
    for g in grads:
        t.grad = torch.from_numpy(g.copy())
        opt.step()
    np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_blocked_update_equals_the_definition_on_large_parameters(dtype) -> None:
    # Parameters larger than one block (65536 elements) are updated block by block through a scratch
    # buffer: the result must be exactly p - lr * g, including a last partial block.
    from tinygrad_np.optim.optimizer import _BLOCK, sub_scaled_

    rng = np.random.default_rng(0)
    data = rng.normal(size=(3, _BLOCK // 2 + 7)).astype(dtype)
    grad = rng.normal(size=data.shape).astype(dtype)
    p = Parameter(data.copy())
    p.grad = grad.copy()
    SGD([p], lr=0.37).step()
    np.testing.assert_array_equal(p.data, data - 0.37 * grad)
    np.testing.assert_array_equal(p.grad, grad)  # the gradient is left alone
    assert p.data.dtype == dtype
    q = data.copy().T  # not contiguous: the plain expression
    sub_scaled_(q, grad.T, 0.37)
    np.testing.assert_array_equal(q, data.T - 0.37 * grad.T)
