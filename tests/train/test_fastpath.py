"""The full-batch fast path (train/fastpath.py, ``fit(..., fast_path=True)``): the same training as the
normal path, up to rounding, and the trained state (weights, momentum buffers, gradients) in the model
however training ends. Its opt-in rules and its seam: test_fastpath_rules.py."""

from __future__ import annotations

import signal

import numpy as np
import pytest
from fastpath_cases import SGD_SETTINGS, N, _assert_close, _data, _model, _train

from tinygrad_np.nn.activations import Tanh
from tinygrad_np.nn.container import Sequential
from tinygrad_np.nn.linear import Linear
from tinygrad_np.nn.losses import BCELoss, MSELoss
from tinygrad_np.optim.lr_scheduler import StepLR
from tinygrad_np.optim.sgd import SGD
from tinygrad_np.train import fastpath, fit
from tinygrad_np.train.callbacks import Callback


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
    assert fast[0]._cache is None  # its last forward ran in sample space: no stale cache is left


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


class _Peek(Callback):
    """Reads the weights through state.model at some epochs, as a user's callback would (no flag)."""

    def __init__(self, at=(3, 7, 20)):
        self.at, self.seen = at, {}

    def on_epoch_end(self, state):
        if state.epoch in self.at:
            self.seen[state.epoch] = state.model.state_dict()


def test_a_callback_sees_the_weights_the_fast_path_reaches(count_fast):
    """A callback runs with the normal path (the fast path is not taken with callbacks): at each epoch
    it sees the weights that the fast path, run that many epochs, leaves in the model."""
    peek = _Peek()
    _train(False, epochs=20, opt_kw={"momentum": 0.9}, callbacks=[peek])
    for epoch, weights in peek.seen.items():
        fast, _, _ = _train(True, epochs=epoch, opt_kw={"momentum": 0.9})
        for k, v in weights.items():
            np.testing.assert_allclose(fast.state_dict()[k], v, rtol=1e-9, atol=1e-13, err_msg=k)
    assert count_fast["n"] == 3 + 7 + 20


def test_a_changing_learning_rate(count_fast):
    def run(fast):
        x, y = _data()
        model = _model()
        opt = SGD(model.parameters(), lr=0.5, momentum=0.5)
        h = fit(model, BCELoss(), opt, x, y, epochs=60, scheduler=StepLR(opt, 10, 0.5), progress="none",
                fast_path=fast)  # fmt: skip
        return model, h

    fast, h_f = run(True)
    slow, h_s = run(False)
    assert len(h_f) == len(h_s) == count_fast["n"] == 60
    assert h_f["lr"] == h_s["lr"] and h_f["lr"][-1] < h_f["lr"][0]
    _assert_close(fast, slow, 1e-9)


def test_resume_with_a_momentum_buffer(tmp_path, count_fast):
    # The first part runs the normal path (a checkpoint is written every epoch); the resumed part the
    # fast path, starting from the saved weights and momentum buffer (a basis F of two arrays).
    _train(False, epochs=10, opt_kw={"momentum": 0.9}, checkpoint=tmp_path / "last.npz")
    resumed, opt_r, h_r = _train(True, epochs=25, opt_kw={"momentum": 0.9}, resume_from=tmp_path / "last.npz")
    assert count_fast["n"] == 15
    straight, opt_s, h_s = _train(False, epochs=25, opt_kw={"momentum": 0.9})
    _assert_close(resumed, straight, 1e-9)
    np.testing.assert_allclose(h_r["loss"], h_s["loss"], rtol=1e-9)
    w_r, w_s = resumed[0].weight, straight[0].weight
    np.testing.assert_allclose(opt_r.momentum_buffer(w_r), opt_s.momentum_buffer(w_s), rtol=1e-8, atol=1e-12)


class _CtrlCAt(BCELoss):
    """Presses Ctrl-C during the loss of step ``at`` (a loss, not a callback: the fast path allows none)."""

    def __init__(self, at):
        super().__init__()
        self.at, self.calls = at, 0

    def forward(self, pred, target):
        self.calls += 1
        if self.calls == self.at:
            signal.raise_signal(signal.SIGINT)
        return super().forward(pred, target)


def test_ctrl_c_leaves_the_trained_weights_in_the_model(count_fast):
    fast, opt_f, h = _train(True, epochs=50, opt_kw={"momentum": 0.9}, loss=_CtrlCAt(7))
    # Stopped after step 7 (the step under way ends); a full-batch step is its epoch's last, so that
    # epoch ends first (issue 18: a checkpoint then is the next epoch's start): 7 epochs logged.
    assert h.stop_reason == "interrupted" and len(h) == 7 and count_fast["n"] == 7
    slow, opt_s, _ = _train(False, epochs=7, opt_kw={"momentum": 0.9})
    _assert_close(fast, slow, 1e-9)
    w_f, w_s = fast[0].weight, slow[0].weight
    np.testing.assert_allclose(opt_f.momentum_buffer(w_f), opt_s.momentum_buffer(w_s), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(w_f.grad, w_s.grad, rtol=1e-7, atol=1e-12)


def test_divergence_leaves_the_weights_trained_so_far(count_fast):
    x, y = _data()
    runs = []
    for fast in (True, False):
        rng = np.random.default_rng(0)
        model = Sequential(Linear(N, 10, rng=rng), Tanh(), Linear(10, 1, rng=rng))
        with pytest.raises(FloatingPointError, match="diverged") as info:
            fit(model, MSELoss(), SGD(model.parameters(), lr=2.0), 10 * x, y[:, None], epochs=50,
                progress="none", fast_path=fast)  # fmt: skip
        runs.append((model, str(info.value)))
    assert count_fast["n"] > 0
    assert runs[0][1] == runs[1][1]  # diverged at the same place, for the same reason
    _assert_close(runs[0][0], runs[1][0], 1e-9)


@pytest.mark.parametrize("m_val", [7, 30, "x itself"])
def test_validation_in_sample_space(m_val, count_fast):
    """The validation pass uses x_val xᵀ instead of the weights: the same val_loss and val_accuracy
    (30 > M samples: evaluated in batches of M, each a slice of x_val)."""
    data = _data()
    val = data if m_val == "x itself" else _data(m=m_val, seed=4)  # "x itself": the training arrays
    kw = {"epochs": 40, "opt_kw": {"momentum": 0.9}, "data": data}
    fast, _, h_f = _train(True, validation_data=val, **kw)
    slow, _, h_s = _train(False, validation_data=val, **kw)
    assert count_fast["n"] == 40
    np.testing.assert_allclose(h_f["val_loss"], h_s["val_loss"], rtol=1e-9)
    assert h_f["val_accuracy"] == h_s["val_accuracy"]
    _assert_close(fast, slow, 1e-9)
