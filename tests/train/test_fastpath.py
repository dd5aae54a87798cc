"""The full-batch fast path (train/fastpath.py): the same training as the normal path, up to rounding,
wherever fit() takes it, and weights that are current whenever anything can look at them."""

from __future__ import annotations

import signal

import numpy as np
import pytest

from tinygrad_np.nn.activations import ReLU, Sigmoid, Tanh
from tinygrad_np.nn.container import Sequential
from tinygrad_np.nn.linear import Linear
from tinygrad_np.nn.losses import BCELoss, MSELoss
from tinygrad_np.optim.adam import Adam
from tinygrad_np.optim.lr_scheduler import StepLR
from tinygrad_np.optim.sgd import SGD
from tinygrad_np.train import fastpath, fit
from tinygrad_np.train.callbacks import Callback, EarlyStopping, ModelCheckpoint
from tinygrad_np.train.checkpoint import load_weights

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


@pytest.fixture
def count_fast(monkeypatch):
    """How many steps the fast path takes (a spy on FirstLayerFastPath.update)."""
    calls = {"n": 0}
    update = fastpath.FirstLayerFastPath.update

    def spy(self):
        calls["n"] += 1
        update(self)

    monkeypatch.setattr(fastpath.FirstLayerFastPath, "update", spy)
    return calls


def _train(fast, dtype=np.float64, act=ReLU, epochs=150, opt_kw=None, lr=0.5, **kw):
    x, y = _data(dtype)
    model = _model(dtype, act)
    opt = SGD(model.parameters(), lr=lr, **(opt_kw or {}))
    history = fit(model, BCELoss(), opt, x, y, epochs=epochs, progress="none", fast_path=fast, **kw)
    return model, opt, history


def _assert_close(a, b, rtol):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_allclose(sa[k], sb[k], rtol=rtol, atol=rtol * np.abs(sb[k]).max(), err_msg=k)


@pytest.mark.parametrize("setting", sorted(SGD_SETTINGS))
def test_same_weights_as_the_normal_path_float64(setting, count_fast):
    fast, opt_f, h_f = _train(True, opt_kw=SGD_SETTINGS[setting])
    assert count_fast["n"] == 150  # the fast path did every step
    slow, opt_s, h_s = _train(False, opt_kw=SGD_SETTINGS[setting])
    assert count_fast["n"] == 150  # and fast_path=False did none
    _assert_close(fast, slow, 1e-9)
    np.testing.assert_allclose(h_f["loss"], h_s["loss"], rtol=1e-9)
    np.testing.assert_allclose(h_f["accuracy"], h_s["accuracy"])
    sd_f, sd_s = opt_f.state_dict(), opt_s.state_dict()  # momentum buffers written back
    assert sd_f.keys() == sd_s.keys()
    for k in sd_f:
        if sd_f[k].dtype.kind not in "fiu":
            assert sd_f[k] == sd_s[k]
            continue
        np.testing.assert_allclose(sd_f[k], sd_s[k], rtol=1e-8, atol=1e-12, err_msg=k)
    w = fast[0].weight
    assert w.grad is not None  # the last step's gradient, as the normal path leaves it
    np.testing.assert_allclose(w.grad, slow[0].weight.grad, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("setting", sorted(SGD_SETTINGS))
def test_same_weights_as_the_normal_path_float32(setting, count_fast, monkeypatch):
    monkeypatch.setattr(fastpath, "_COLUMNS", 24)  # float32 inputs go to float64 in blocks: 3 here
    # Tanh: no kink where a float32 rounding difference could send the two runs different ways; a
    # small lr: at lr 0.5 even float32 and float64 runs of the normal path part (the run is chaotic).
    fast, _, h_f = _train(True, np.float32, Tanh, opt_kw=SGD_SETTINGS[setting], lr=0.1)
    slow, _, h_s = _train(False, np.float32, Tanh, opt_kw=SGD_SETTINGS[setting], lr=0.1)
    assert count_fast["n"] == 150
    assert fast[0].weight.data.dtype == np.float32
    _assert_close(fast, slow, 2e-4)
    np.testing.assert_allclose(h_f["loss"], h_s["loss"], rtol=1e-4, atol=1e-7)


def test_the_env_var_switches_it_off(monkeypatch, count_fast):
    monkeypatch.setenv(fastpath.ENV_VAR, "0")
    _train(True, epochs=3)
    assert count_fast["n"] == 0


@pytest.mark.parametrize(
    "case",
    [
        "adam",
        "minibatch",
        "validation of another dtype",
        "too many samples",
        "mse on a bare linear",
        "callback",
    ],
)
def test_not_taken_where_it_would_not_be_exact_or_pay(case, count_fast):
    x, y = _data()
    model = _model()
    opt = SGD(model.parameters(), lr=0.1)
    kw: dict = {}
    if case == "adam":
        opt = Adam(model.parameters(), lr=0.01)
    elif case == "minibatch":
        kw = {"batch_size": 4, "shuffle": False}
    elif case == "validation of another dtype":
        kw = {"validation_data": (x.astype(np.float32), y)}
    elif case == "too many samples":
        x, y = _data(m=4 * N)
    elif case == "mse on a bare linear":
        model = Linear(N, 1, rng=np.random.default_rng(0))  # not a Sequential
        opt = SGD(model.parameters(), lr=0.1)
    else:
        kw = {"callbacks": [Callback()]}  # a callback that may read the weights any time
    loss = MSELoss() if case == "mse on a bare linear" else BCELoss()
    if case.startswith("validation"):
        with pytest.raises(TypeError, match="dtype"):  # the normal path's own error
            fit(model, loss, opt, x, y, epochs=2, progress="none", **kw)
        assert count_fast["n"] == 0
        return
    fit(model, loss, opt, x, y if case != "mse on a bare linear" else y[:, None], epochs=2,
        progress="none", **kw)  # fmt: skip
    assert count_fast["n"] == 0


class _Peek(Callback):
    """Reads the weights through state.model at some epochs, and may scale them (a change fit() must
    carry on from)."""

    reads_weights = False

    def __init__(self, at=(3, 7, 20), scale=None):
        self.at, self.scale, self.seen = at, scale, {}

    def on_epoch_end(self, state):
        if state.epoch in self.at:
            model = state.model
            self.seen[state.epoch] = model.state_dict()
            if self.scale is not None:
                model[0].weight.data *= self.scale
                buf = state.optimizer.state.get(model[0].weight, {}).get("momentum_buffer")
                if buf is not None:
                    buf *= -1


@pytest.mark.parametrize("scale", [None, 0.5])
def test_callbacks_see_and_may_change_current_weights(scale, count_fast):
    peek_f, peek_s = _Peek(scale=scale), _Peek(scale=scale)
    fast, _, _ = _train(True, epochs=30, opt_kw={"momentum": 0.9}, callbacks=[peek_f])
    slow, _, _ = _train(False, epochs=30, opt_kw={"momentum": 0.9}, callbacks=[peek_s])
    assert count_fast["n"] == 30
    for epoch, weights in peek_s.seen.items():
        for k, v in weights.items():
            np.testing.assert_allclose(peek_f.seen[epoch][k], v, rtol=1e-9, atol=1e-13, err_msg=k)
    _assert_close(fast, slow, 1e-9)


def test_a_changing_learning_rate_and_early_stopping(count_fast):
    def run(fast):
        x, y = _data()
        model = _model()
        opt = SGD(model.parameters(), lr=0.5, momentum=0.5)
        stop = EarlyStopping("loss", patience=1, min_delta=0.05)
        h = fit(model, BCELoss(), opt, x, y, epochs=200, scheduler=StepLR(opt, 10, 0.5), callbacks=[stop],
                progress="none", fast_path=fast)  # fmt: skip
        return model, h

    fast, h_f = run(True)
    slow, h_s = run(False)
    assert h_f.stop_reason == h_s.stop_reason == "early_stopping"
    assert len(h_f) == len(h_s) == count_fast["n"]
    assert h_f["lr"] == h_s["lr"]
    _assert_close(fast, slow, 1e-9)


def test_best_checkpoint_and_resume_with_a_momentum_buffer(tmp_path, count_fast):
    # The first part runs the normal path (the "last" checkpoint is written every epoch); the resumed
    # part the fast path, starting from the saved weights and momentum buffer.
    _train(False, epochs=10, opt_kw={"momentum": 0.9}, checkpoint=tmp_path / "last.npz")
    best = ModelCheckpoint(tmp_path / "best.npz", monitor="loss", save_best_only=True)
    resumed, _, h_r = _train(True, epochs=25, opt_kw={"momentum": 0.9}, callbacks=[best],
                             resume_from=tmp_path / "last.npz")  # fmt: skip
    assert count_fast["n"] == 15
    straight, _, h_s = _train(False, epochs=25, opt_kw={"momentum": 0.9})
    _assert_close(resumed, straight, 1e-9)
    np.testing.assert_allclose(h_r["loss"], h_s["loss"], rtol=1e-9)
    # The best checkpoint, written by a callback (so materialised when saved), as the normal path's.
    best_s = ModelCheckpoint(tmp_path / "best_s.npz", monitor="loss", save_best_only=True)
    _train(False, epochs=25, opt_kw={"momentum": 0.9}, callbacks=[best_s], resume_from=tmp_path / "last.npz")
    check, check_s = _model(seed=5), _model(seed=6)
    load_weights(check, tmp_path / "best.npz")
    load_weights(check_s, tmp_path / "best_s.npz")
    _assert_close(check, check_s, 1e-9)


def test_ctrl_c_leaves_the_trained_weights_in_the_model(count_fast):
    class CtrlC(Callback):
        reads_weights = False

        def on_batch_end(self, state, loss):
            if state.epoch == 6:
                signal.raise_signal(signal.SIGINT)

    fast, _, h = _train(True, epochs=50, callbacks=[CtrlC()])
    # Stopped after the first step of epoch 7, before that epoch's end: 6 epochs logged, 7 steps done.
    assert h.stop_reason == "interrupted" and len(h) == 6 and count_fast["n"] == 7
    slow, _, _ = _train(False, epochs=7)
    _assert_close(fast, slow, 1e-9)


def test_divergence_leaves_the_weights_trained_so_far(count_fast):
    x, y = _data()
    runs = []
    for fast in (True, False):
        rng = np.random.default_rng(0)
        model = Sequential(Linear(N, 10, rng=rng), Tanh(), Linear(10, 1, rng=rng))
        with pytest.raises(FloatingPointError, match="diverged"):
            fit(model, MSELoss(), SGD(model.parameters(), lr=2.0), 10 * x, y[:, None], epochs=50,
                progress="none", fast_path=fast)  # fmt: skip
        runs.append(model)
    assert count_fast["n"] > 0
    _assert_close(*runs, 1e-9)


@pytest.mark.parametrize("m_val", [7, 30])
def test_validation_in_sample_space(m_val, count_fast):
    """The validation pass uses x_val xᵀ instead of the weights: the same val_loss and val_accuracy."""
    x_val, y_val = _data(m=m_val, seed=4)
    fast, _, h_f = _train(True, epochs=40, opt_kw={"momentum": 0.9}, validation_data=(x_val, y_val))
    slow, _, h_s = _train(False, epochs=40, opt_kw={"momentum": 0.9}, validation_data=(x_val, y_val))
    assert count_fast["n"] == 40
    np.testing.assert_allclose(h_f["val_loss"], h_s["val_loss"], rtol=1e-9)
    assert h_f["val_accuracy"] == h_s["val_accuracy"]
    _assert_close(fast, slow, 1e-9)


def test_validation_right_after_a_callback_looked(count_fast):
    class LookEveryThird(Callback):
        reads_weights = False

        def on_batch_end(self, state, loss):
            if state.epoch % 3 == 0:
                state.model[0].weight.data *= 0.99  # read and changed: the pass must see this

    val = _data(m=7, seed=4)
    fast, _, h_f = _train(True, epochs=20, validation_data=val, callbacks=[LookEveryThird()])
    slow, _, h_s = _train(False, epochs=20, validation_data=val, callbacks=[LookEveryThird()])
    assert count_fast["n"] == 20
    np.testing.assert_allclose(h_f["val_loss"], h_s["val_loss"], rtol=1e-9)
    _assert_close(fast, slow, 1e-9)


def test_fast_path_must_be_a_bool():
    with pytest.raises(TypeError, match="fast_path must be True or False"):
        _train("yes", epochs=1)
