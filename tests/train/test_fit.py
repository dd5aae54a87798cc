import os
import re
import signal

import numpy as np
import pytest
from builders import small_binary_data, small_mlp

from tinygrad_np.data import minibatches
from tinygrad_np.metrics import accuracy
from tinygrad_np.nn.activations import Sigmoid
from tinygrad_np.nn.container import Sequential
from tinygrad_np.nn.linear import Linear
from tinygrad_np.nn.losses import BCELoss, BCEWithLogitsLoss, MSELoss
from tinygrad_np.optim.adam import Adam, AdamW
from tinygrad_np.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, StepLR
from tinygrad_np.optim.sgd import SGD
from tinygrad_np.train import TrainingDivergedError, fit
from tinygrad_np.train.callbacks import Callback, EarlyStopping, ModelCheckpoint
from tinygrad_np.train.checkpoint import load_checkpoint, load_weights


def _data(m=90, n=6, seed=0):
    return small_binary_data(m, n, seed)


def _model(seed=0, dropout=True, sigmoid=True):
    return small_mlp(seed, dropout, sigmoid)


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)


def _without_seconds(history):
    return {k: v for k, v in history.history.items() if k != "seconds"}


class _Record(Callback):
    """Keeps a copy of the weights after every epoch."""

    def __init__(self):
        self.weights = []

    def on_epoch_end(self, state):
        self.weights.append(state.model.state_dict())


# -- what fit() computes ----------


def test_full_batch_fit_is_plain_gradient_descent():
    x, y = _data()
    manual, fitted = _model(dropout=False), _model(dropout=False)
    loss_fn = BCELoss()
    opt = SGD(manual.parameters(), lr=0.5)
    first_loss = None
    for _ in range(5):
        loss = loss_fn(manual(x), y)
        first_loss = loss if first_loss is None else first_loss
        manual.backward_from(loss_fn)
        opt.step()
    h = fit(fitted, BCELoss(), SGD(fitted.parameters(), lr=0.5), x, y, epochs=5, progress="none")
    _same_weights(manual, fitted)
    assert h["loss"][0] == first_loss  # full batch: the loss before the first step


def test_minibatch_fit_matches_a_hand_written_loop():
    x, y = _data()
    manual, fitted = _model(), _model()
    loss_fn = BCELoss()
    opt = Adam(manual.parameters(), lr=0.01)
    rng = np.random.default_rng(5)
    for _ in range(3):
        manual.train()
        for xb, yb in minibatches(x, y, 16, shuffle=True, rng=rng):
            loss_fn(manual(xb), yb)
            manual.backward_from(loss_fn)
            opt.step()
    fit(fitted, BCELoss(), Adam(fitted.parameters(), lr=0.01), x, y, epochs=3, batch_size=16,
        rng=np.random.default_rng(5), progress="none")  # fmt: skip
    _same_weights(manual, fitted)


def test_history_contents():
    x, y = _data()
    xv, yv = _data(40, seed=1)
    model = _model()
    opt = Adam(model.parameters(), lr=0.05)
    h = fit(model, BCELoss(), opt, x, y, epochs=6, batch_size=20, validation_data=(xv, yv),
            rng=np.random.default_rng(0), scheduler=StepLR(opt, step_size=2, gamma=0.5),
            progress="none")  # fmt: skip
    assert h.keys() == ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"]
    assert h.epochs == [1, 2, 3, 4, 5, 6] and len(h) == 6
    assert all(len(v) == 6 for v in h.history.values())
    assert h["lr"] == pytest.approx([0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125])
    assert all(s > 0 for s in h["seconds"])
    assert all(0 <= a <= 1 for a in h["accuracy"] + h["val_accuracy"])
    assert h.stop_reason == "completed"
    # validation is measured in eval mode on the final weights: recompute it
    assert not model.training  # fit leaves the model in eval mode
    pv = model(xv)
    assert h["val_loss"][-1] == pytest.approx(BCELoss()(pv, yv), rel=1e-12)
    assert h["val_accuracy"][-1] == pytest.approx(accuracy(yv, pv))
    assert h.last["val_loss"] == h["val_loss"][-1]


def test_logits_accuracy_threshold_and_no_accuracy_for_mse():
    x, y = _data()
    model = _model(dropout=False, sigmoid=False)
    h = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.05), x, y, epochs=3,
            validation_data=(x, y), progress="none")  # fmt: skip
    assert h["val_accuracy"][-1] == pytest.approx(accuracy(y, model(x), threshold=0.0))
    model = _model(dropout=False, sigmoid=False)
    h = fit(model, MSELoss(), SGD(model.parameters(), lr=0.01), x, y, epochs=2, progress="none")
    assert "accuracy" not in h and h.keys() == ["loss", "lr", "seconds"]


# -- resuming ----------


def _run(tmp_path, epochs, callbacks=(), resume=False, model_seed=0, name="last.npz"):
    """Adam + cosine schedule + dropout + early stopping (never triggers) on mini-batches."""
    x, y = _data()
    xv, yv = _data(30, seed=1)
    model = _model(seed=model_seed)
    opt = AdamW(model.parameters(), lr=0.02, weight_decay=0.01)
    sched = CosineAnnealingLR(opt, T_max=8)
    es = EarlyStopping("val_loss", patience=100)
    h = fit(model, BCELoss(), opt, x, y, epochs=epochs, batch_size=16, validation_data=(xv, yv),
            rng=np.random.default_rng(123 if not resume else 999), scheduler=sched,
            callbacks=[es, *callbacks], checkpoint=tmp_path / name,
            resume_from=tmp_path / name if resume else None, progress="none")  # fmt: skip
    return model, h, es


def test_resume_after_a_stop_at_an_epoch_end_gives_the_same_weights(tmp_path):
    full, h_full, es_full = _run(tmp_path, 8, name="full.npz")

    class StopAfter3(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 3:
                state.stop("test")

    _, h_part, _ = _run(tmp_path, 8, callbacks=[StopAfter3()])
    assert len(h_part) == 3 and int(load_checkpoint(tmp_path / "last.npz")["epoch"]) == 3
    # a fresh process: other init, other rng seed; everything comes from the checkpoint
    resumed, h_res, es_res = _run(tmp_path, 8, resume=True, model_seed=7)
    _same_weights(full, resumed)
    assert _without_seconds(h_res) == _without_seconds(h_full)
    assert (es_res.best, es_res.best_epoch, es_res.wait) == (
        es_full.best, es_full.best_epoch, es_full.wait)  # fmt: skip


def test_ctrl_c_mid_epoch_stops_cleanly_and_resumes_exactly(tmp_path):
    full, h_full, _ = _run(tmp_path, 5, name="full.npz")

    class CtrlC(Callback):
        def __init__(self):
            self.seen = []

        def on_batch_end(self, state, loss):
            self.seen.append((state.epoch, state.step))
            if (state.epoch, state.step) == (2, 3):  # 3rd batch of the 3rd epoch
                signal.raise_signal(signal.SIGINT)  # as a real Ctrl-C: handled by fit()

    ctrl_c = CtrlC()
    part, h_part, _ = _run(tmp_path, 5, callbacks=[ctrl_c])
    assert h_part.stop_reason == "interrupted" and len(h_part) == 2
    assert ctrl_c.seen[-1] == (2, 3)  # stopped right after the step under way
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored
    ckpt = load_checkpoint(tmp_path / "last.npz")
    assert (int(ckpt["epoch"]), int(ckpt["step_in_epoch"])) == (2, 3)
    check = _model(seed=3)
    load_weights(check, tmp_path / "last.npz")
    _same_weights(check, part)  # the checkpoint holds the weights trained so far

    resumed, h_res, _ = _run(tmp_path, 5, resume=True, model_seed=9)
    _same_weights(full, resumed)
    assert _without_seconds(h_res) == _without_seconds(h_full)


def test_keyboard_interrupt_raised_in_a_callback_also_returns_history(tmp_path):
    class Raise(Callback):
        def on_batch_end(self, state, loss):
            if state.epoch == 1 and state.step == 2:
                raise KeyboardInterrupt

    _, h, _ = _run(tmp_path, 5, callbacks=[Raise()])
    assert h.stop_reason == "interrupted" and len(h) == 1
    assert int(load_checkpoint(tmp_path / "last.npz")["step_in_epoch"]) == 2


def test_resume_rejects_a_checkpoint_of_another_model(tmp_path):
    _run(tmp_path, 1)
    x, y = _data()
    other = Sequential(Linear(6, 3), Sigmoid())
    with pytest.raises(KeyError, match="missing keys"):
        fit(other, BCELoss(), SGD(other.parameters(), lr=0.1), x, y, epochs=2,
            resume_from=tmp_path / "last.npz", progress="none")  # fmt: skip


# -- divergence ----------


def test_divergence_raises_a_clear_error_and_keeps_the_last_good_checkpoint(tmp_path):
    x, y = _data()
    model = _model(dropout=False, sigmoid=False)
    opt = SGD(model.parameters(), lr=0.01)
    # a good lr for 3 epochs, then an absurd one
    sched = LambdaLR(opt, lambda e: 1.0 if e < 3 else 1e300)
    rec = _Record()
    with np.errstate(all="ignore"), pytest.raises(TrainingDivergedError) as info:
        fit(model, MSELoss(), opt, x, y, epochs=50, batch_size=30, rng=np.random.default_rng(0),
            scheduler=sched, callbacks=[rec, ModelCheckpoint(tmp_path / "ck.npz", every=0)],
            progress="none")  # fmt: skip  (every=0: a checkpoint at every epoch's end)
    err = info.value
    msg = str(err)
    assert err.epoch == 4 and f"epoch {err.epoch}/50" in msg
    assert re.match(r"fit: the .+ must stay finite, got .+ at epoch 4/50(, step \d/3| \(at its end\)) with lr 1e\+298; "
                    r"training diverged\. Checkpoints were left as they were: ", msg), msg  # fmt: skip
    assert "lower learning rate" in msg and "ck.npz (epoch 3)" in msg
    assert len(err.history) == 3
    ckpt = load_checkpoint(tmp_path / "ck.npz")
    assert int(ckpt["epoch"]) == 3
    for k, v in rec.weights[2].items():
        np.testing.assert_array_equal(ckpt[f"model/{k}"], v)
    assert [f for f in os.listdir(tmp_path) if f.startswith(".tmp")] == []


def test_nan_inputs_are_refused_up_front():
    x, y = _data()
    x[3, 2] = np.nan
    model = _model()
    with pytest.raises(ValueError, match="NaN"):
        fit(model, BCELoss(), SGD(model.parameters(), lr=0.1), x, y, epochs=1, progress="none")


# -- callbacks ----------


def test_early_stopping_and_restore_best_weights():
    x, y = _data()
    model = _model(dropout=False)
    rec = _Record()
    # the training loss goes down every epoch, so with mode="max" only epoch 1 is "best"
    es = EarlyStopping("loss", mode="max", patience=3, restore_best_weights=True)
    h = fit(model, BCELoss(), SGD(model.parameters(), lr=0.5), x, y, epochs=50,
            callbacks=[es, rec], progress="none")  # fmt: skip
    assert h.stop_reason == "early_stopping" and len(h) == 4
    assert es.best_epoch == 1 and es.stopped_epoch == 4
    _same_weights(model, Sequential(*_model(dropout=False)).load_state_dict(rec.weights[0]))


def test_early_stopping_on_a_missing_metric_says_what_exists():
    x, y = _data()
    model = _model()
    with pytest.raises(ValueError, match=r"val_loss.*validation_data"):
        fit(model, BCELoss(), SGD(model.parameters(), lr=0.1), x, y, epochs=2,
            callbacks=[EarlyStopping()], progress="none")  # fmt: skip


def test_best_only_checkpoint_holds_the_best_epoch(tmp_path):
    x, y = _data()
    xv, yv = _data(30, seed=1)
    model = _model()
    rec = _Record()
    ck = ModelCheckpoint(tmp_path / "best.npz", monitor="val_accuracy", save_best_only=True)
    h = fit(model, BCELoss(), Adam(model.parameters(), lr=0.05), x, y, epochs=12, batch_size=16,
            validation_data=(xv, yv), rng=np.random.default_rng(0), callbacks=[ck, rec],
            progress="none")  # fmt: skip
    best = int(np.argmax(h["val_accuracy"]))  # first best epoch (strict improvement)
    ckpt = load_checkpoint(tmp_path / "best.npz")
    assert int(ckpt["epoch"]) == best + 1 == ck.best_epoch
    for k, v in rec.weights[best].items():
        np.testing.assert_array_equal(ckpt[f"model/{k}"], v)


# -- progress, errors ----------


def test_plain_lines_when_not_a_terminal(capsys):
    x, y = _data()
    model = _model()
    fit(model, BCELoss(), SGD(model.parameters(), lr=0.1), x, y, epochs=20, log_every=5)
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out] == ["1/20", "5/20", "10/20", "15/20", "20/20"]
    assert "loss" in out[0] and "accuracy" in out[0] and "lr" in out[0]
    fit(model, BCELoss(), SGD(model.parameters(), lr=0.1), x, y, epochs=3, progress="none")
    assert capsys.readouterr().out == ""


def test_tqdm_bar_with_running_loss(capsys):
    pytest.importorskip("tqdm")
    x, y = _data()
    model = _model()
    fit(model, BCELoss(), SGD(model.parameters(), lr=0.1), x, y, epochs=3, batch_size=30,
        rng=np.random.default_rng(0), progress="bar")  # fmt: skip
    captured = capsys.readouterr()
    assert "3/3" in captured.err and "loss=" in captured.err and captured.out == ""


def test_argument_errors():
    x, y = _data()
    model = _model()
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="explicit np.random.Generator"):
        fit(model, BCELoss(), opt, x, y, epochs=1, batch_size=10)
    with pytest.raises(ValueError, match="hold only the model's parameters"):
        fit(model, BCELoss(), SGD(_model().parameters(), lr=0.1), x, y, epochs=1)
    with pytest.raises(ValueError, match="same number of samples"):
        fit(model, BCELoss(), opt, x, y[:-1], epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, BCELoss(), opt, x, y, epochs=-1)


# -- the checkpoint file ----------


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937, np.random.Philox])
def test_generator_state_round_trips_as_json(bit_generator):
    from tinygrad_np.train.checkpoint import generator_from_state, generator_state, set_generator_state

    g = np.random.Generator(bit_generator(42))
    g.random(7)
    state = generator_state(g)
    assert state.dtype.kind == "U" and state.ndim == 0
    expected = g.random(5)
    other = np.random.Generator(bit_generator(0))
    set_generator_state(other, state)
    np.testing.assert_array_equal(other.random(5), expected)
    np.testing.assert_array_equal(generator_from_state(state).random(5), expected)


def test_checkpoint_is_plain_arrays_loadable_without_pickle(tmp_path):
    _run(tmp_path, 2)
    with np.load(tmp_path / "last.npz", allow_pickle=False) as f:
        keys = set(f.files)
        assert all(f[k].dtype != object for k in keys)
    assert {"format", "epoch", "step_in_epoch", "rng/fit", "model/0.weight", "history/loss"} <= keys
    assert {"optimizer/state/0/exp_avg", "optimizer/hparams/lr", "scheduler/last_epoch"} <= keys
    assert "rng/model/2" in keys  # the Dropout layer's generator
    assert "callbacks/EarlyStopping.0/wait" in keys
    with pytest.raises(ValueError, match="the format must be 'tinygrad_np.checkpoint/1'"):
        np.savez(tmp_path / "plain.npz", w=np.ones(2))
        load_checkpoint(tmp_path / "plain.npz")
