"""The fast path is an explicit choice behind one seam: off by default, refused with a reason where it
does not apply, called only by fit(), stepping W with SGD.step itself, reading SGD's state through
its public methods (SGD.momentum_buffer / set_momentum_buffer, tested here too)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from fastpath_cases import SGD_SETTINGS, N, _data, _model, _train

from tinygrad_np.nn.activations import ReLU, Sigmoid
from tinygrad_np.nn.container import Sequential
from tinygrad_np.nn.linear import Linear
from tinygrad_np.nn.losses import BCELoss, MSELoss
from tinygrad_np.optim.adam import Adam
from tinygrad_np.optim.sgd import SGD
from tinygrad_np.train import fastpath, fit
from tinygrad_np.train.callbacks import Callback, EarlyStopping
from tinygrad_np.train.state import TrainState

ROOT = Path(__file__).resolve().parents[2]


def test_off_by_default_whatever_the_environment(count_fast, monkeypatch):
    monkeypatch.setenv("TINYGRAD_NP_FAST_PATH", "1")  # the old switch is gone: it changes nothing
    x, y = _data()
    model = _model()
    fit(model, BCELoss(), SGD(model.parameters(), lr=0.5), x, y, epochs=3, progress="none")
    assert count_fast["n"] == 0


@pytest.mark.parametrize(
    ("case", "error", "pattern"),
    [
        ("callback", ValueError, r"without callbacks or checkpoint=.*got \[Callback\]; drop them"),
        ("early stopping", ValueError, r"without callbacks.*got \[EarlyStopping\]"),
        ("checkpoint", ValueError, r"without callbacks.*got \[ModelCheckpoint\]"),
        ("minibatch", ValueError, r"full-batch training \(batch_size=None\), got mini-batches"),
        ("adam", ValueError, r"a tnp.SGD optimizer, got Adam"),
        ("bare linear", ValueError, r"a tnp.Sequential whose first layer is a tnp.Linear"),
        ("relu first", ValueError, r"a tnp.Sequential whose first layer is a tnp.Linear"),
        ("too many samples", ValueError, r"at most 0.25 samples per input.*got 256 samples for 64 inputs"),
        ("validation of another dtype", TypeError, r"validation_data's x of the weights' dtype float64"),
        ("first layer frozen", ValueError, r"the first layer's weight among the optimizer's parameters"),
        ("shared weight", ValueError, r"a first-layer weight no other layer uses"),
    ],
)
def test_refused_where_it_does_not_apply_before_training(case, error, pattern, tmp_path):
    x, y = _data()
    model = _model()
    opt = SGD(model.parameters(), lr=0.1)
    kw: dict = {}
    loss = BCELoss()
    if case == "callback":
        kw = {"callbacks": [Callback()]}  # any callback: it may read the weights at any time
    elif case == "early stopping":
        kw = {"callbacks": [EarlyStopping("loss")]}
    elif case == "checkpoint":
        kw = {"checkpoint": tmp_path / "last.npz"}
    elif case == "minibatch":
        kw = {"batch_size": 4, "shuffle": False}
    elif case == "adam":
        opt = Adam(model.parameters(), lr=0.01)
    elif case in ("bare linear", "relu first"):
        model = Linear(N, 1) if case == "bare linear" else Sequential(ReLU(), Linear(N, 1), Sigmoid())
        opt, loss = SGD(model.parameters(), lr=0.1), MSELoss() if case == "bare linear" else loss
        y = y[:, None] if case == "bare linear" else y
    elif case == "too many samples":
        x, y = _data(m=4 * N)
    elif case == "validation of another dtype":
        kw = {"validation_data": (x.astype(np.float32), y)}
    elif case == "first layer frozen":
        opt = SGD(model.parameters()[1:], lr=0.1)
    else:  # the first layer used again: 64 -> 10 -> 64 -> 10 -> 1
        first = model[0]
        model = Sequential(first, ReLU(), Linear(10, N), ReLU(), first, ReLU(), Linear(10, 1), Sigmoid())
        opt = SGD(model.parameters(), lr=0.1)
    before = {k: v.copy() for k, v in model.state_dict().items()}
    with pytest.raises(error, match=pattern) as info:
        fit(model, loss, opt, x, y, epochs=2, progress="none", fast_path=True, **kw)
    assert str(info.value).startswith("fit: fast_path=True must come with")
    for k, v in model.state_dict().items():  # nothing trained
        np.testing.assert_array_equal(v, before[k])
    assert not (tmp_path / "last.npz").exists()


def test_fast_path_must_be_a_bool():
    with pytest.raises(TypeError, match="fast_path must be True or False"):
        _train("yes", epochs=1)


def test_only_fit_knows_the_fast_path():
    """The seam: fit.py is the only module (library or example) that imports it; the loop, the state and
    the callbacks never mention it; no flag on callbacks, no weights written back when read."""
    importers = []
    for path in [*(ROOT / "tinygrad_np").rglob("*.py"), *(ROOT / "models").rglob("*.py")]:
        text = path.read_text()
        uses = r"^\s*(from\s+\S*fastpath\s+import|from\s+\S+\s+import[^\n]*\bfastpath\b|import\s+\S*fastpath)|FirstLayerInSampleSpace"
        if re.search(uses, text, re.M) and path.name != "fastpath.py":
            importers.append(path.relative_to(ROOT).as_posix())
    assert importers == ["tinygrad_np/train/fit.py"]
    for name in ("loop.py", "state.py", "callbacks.py"):
        text = (ROOT / "tinygrad_np" / "train" / name).read_text().lower()
        assert "fast" not in text and "reads_weights" not in text, name
    assert not hasattr(Callback, "reads_weights")
    assert not isinstance(getattr(TrainState, "model", None), property)
    assert not hasattr(TrainState, "parts")


@pytest.mark.parametrize(
    ("setting", "buffer"),
    [(s, False) for s in sorted(SGD_SETTINGS)]
    + [(s, True) for s in sorted(SGD_SETTINGS) if "momentum" in SGD_SETTINGS[s]],
)
def test_the_coefficient_step_is_sgd_step_on_w(setting, buffer):
    """W's update in sample space is SGD.step run on (c, A): after steps with a changing lr, W and its
    momentum buffer equal SGD.step's on W itself, given the same gradients Gᵀ x."""
    x, y = _data()
    model = _model()
    opt = SGD(model.parameters(), lr=0.3, **SGD_SETTINGS[setting])
    w = model[0].weight
    ref_w = w.__class__(w.data.copy())
    ref = SGD([ref_w], lr=0.3, **SGD_SETTINGS[setting])
    if buffer:  # a resumed run: the path starts from a buffer (a second basis array F_1)
        buf = np.random.default_rng(2).standard_normal(w.shape)
        opt.set_momentum_buffer(w, buf)
        ref.set_momentum_buffer(ref_w, buf)
    path = fastpath.FirstLayerInSampleSpace(model, opt, x, None, full_batch=True, callbacks=())
    loss_fn = BCELoss()
    with path as (stand_in, stand_in_opt):
        for lr in [0.3, 0.3, 0.1, 0.5, 0.05]:
            stand_in_opt.lr = lr
            loss_fn(stand_in(x), y)
            stand_in.backward_from(loss_fn)
            stand_in_opt.step()
            assert opt.lr == lr  # the stand-in's lr is the optimiser's
            ref.lr, ref_w.grad = lr, path.G.T @ x  # the same dL/dW, stepped by SGD.step on W
            ref.step()
            assert w.grad is None  # W itself waits in sample space
    np.testing.assert_allclose(w.data, ref_w.data, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(w.grad, path.G.T @ x, rtol=1e-12)
    ref_buf, buf = ref.momentum_buffer(ref_w), opt.momentum_buffer(w)
    assert (ref_buf is None) == (buf is None)
    if buf is not None:
        np.testing.assert_allclose(buf, ref_buf, rtol=1e-12, atol=1e-14)


def test_sgd_momentum_buffer_accessors():
    rng = np.random.default_rng(0)
    p = Linear(3, 2, rng=rng).weight
    opt = SGD([p], lr=0.1, momentum=0.9)
    assert opt.momentum_buffer(p) is None  # before the first step
    p.grad = np.ones_like(p.data)
    opt.step()
    buf = opt.momentum_buffer(p)
    np.testing.assert_array_equal(buf, np.ones_like(p.data))  # the first step's buffer is the gradient
    opt.step()
    assert opt.momentum_buffer(p) is buf  # the array itself, updated in place
    np.testing.assert_allclose(buf, 1.9)
    # Setting a buffer continues from it exactly as a state_dict round trip would.
    twin_p = Linear(3, 2, rng=np.random.default_rng(0)).weight
    twin_p.data[...] = p.data
    twin = SGD([twin_p], lr=0.1, momentum=0.9)
    twin.set_momentum_buffer(twin_p, buf)
    assert twin.momentum_buffer(twin_p) is not buf  # a copy
    twin_p.grad = p.grad
    opt.step()
    twin.step()
    np.testing.assert_array_equal(twin_p.data, p.data)
    assert (
        twin.state_dict()["state/0/momentum_buffer"].tolist()
        == opt.state_dict()["state/0/momentum_buffer"].tolist()
    )
    twin.set_momentum_buffer(twin_p, None)  # forgotten: the next step starts a new buffer
    assert twin.momentum_buffer(twin_p) is None
    twin.set_momentum_buffer(twin_p, np.ones((2, 3), dtype=np.int64))  # stored in p's dtype
    assert twin.momentum_buffer(twin_p).dtype == np.float64
    with pytest.raises(
        ValueError,
        match=r"SGD.set_momentum_buffer: buf must have the parameter's shape \(2, 3\), got shape \(3, 2\)",
    ):
        opt.set_momentum_buffer(p, np.zeros((3, 2)))
    with pytest.raises(TypeError, match=r"buf must hold real numbers, got dtype <U1"):
        opt.set_momentum_buffer(p, np.full((2, 3), "a"))
    with pytest.raises(
        ValueError, match=r"SGD.momentum_buffer: p must be one of this optimiser's parameters"
    ):
        opt.momentum_buffer(twin_p)
    with pytest.raises(ValueError, match=r"SGD.set_momentum_buffer: p must be one of"):
        opt.set_momentum_buffer(twin_p, None)
