"""Ctrl-C at any moment, then resume: the run ends bit-identical to one never interrupted (issue 18 §1),
and checkpoints are written at a bounded rate (§7).

Ctrl-C is simulated as the fit() tests do: ``signal.raise_signal(SIGINT)`` from a callback (handled by
fit()'s own SIGINT handler, as a real Ctrl-C), at every step of a short run; also a KeyboardInterrupt
raised by code in the last step (the old checkpoints that recorded step_in_epoch == steps_per_epoch).
"""

from __future__ import annotations

import signal
from pathlib import Path

import numpy as np
import pytest
from builders import small_binary_data, small_mlp
from datafiles import write_cat_h5
from processes import ctrl_c_at, interrupt_at

import tinygrad_np as tnp
from tinygrad_np.train.callbacks import Callback, EarlyStopping, ModelCheckpoint
from tinygrad_np.train.checkpoint import load_checkpoint

# -- fit() ---------------------------------------------------------------------------------------------


class CtrlC(Callback):
    """Presses Ctrl-C (a real SIGINT, handled by fit()) at the end of global step ``at`` (1-based), or at
    the end of epoch ``at_epoch_end`` (the validation pass, the schedule and callbacks under way)."""

    def __init__(self, at: int | None = None, at_epoch_end: int | None = None, raw: bool = False) -> None:
        self.at, self.at_epoch_end, self.raw, self.steps = at, at_epoch_end, raw, 0

    def on_batch_end(self, state, loss) -> None:  # type: ignore[no-untyped-def]
        self.steps += 1
        if self.steps == self.at:
            if self.raw:
                raise KeyboardInterrupt  # as code in the step would: fit() saves at once
            signal.raise_signal(signal.SIGINT)

    def on_epoch_end(self, state) -> None:  # type: ignore[no-untyped-def]
        if state.epoch == self.at_epoch_end:
            signal.raise_signal(signal.SIGINT)


def _run(ckpt: Path, *, full: bool, epochs: int, resume: bool = False, ctrl_c: CtrlC | None = None):
    """Adam + StepLR + dropout + EarlyStopping (never stops) + validation; 3 batches an epoch (30, 30, 30)
    or the full batch. A resumed run starts from another init and rng: all comes from the checkpoint."""
    x, y = small_binary_data(90, 6, 0)
    xv, yv = small_binary_data(30, 6, 1)
    model = small_mlp(7 if resume else 0)
    opt = tnp.Adam(model.parameters(), lr=0.03)
    sched = tnp.optim.StepLR(opt, step_size=2, gamma=0.5)
    es = EarlyStopping("val_loss", patience=100)
    cbs: list[Callback] = [es, ModelCheckpoint(ckpt, every=0)] + ([ctrl_c] if ctrl_c else [])
    h = tnp.fit(model, tnp.BCELoss(), opt, x, y, epochs=epochs, batch_size=None if full else 30,
                validation_data=(xv, yv), rng=np.random.default_rng(99 if resume else 3), scheduler=sched,
                callbacks=cbs, resume_from=ckpt if resume else None, progress="none")  # fmt: skip
    return model, h, es


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    (ma, ha, ea), (mb, hb, eb) = a, b
    sa, sb = ma.state_dict(), mb.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k], err_msg=k)
    assert {k: v for k, v in ha.history.items() if k != "seconds"} == {
        k: v for k, v in hb.history.items() if k != "seconds"
    }
    assert ha.epochs == hb.epochs and ha.stop_reason == hb.stop_reason == "completed"
    assert (ea.best, ea.best_epoch, ea.wait) == (eb.best, eb.best_epoch, eb.wait)


@pytest.mark.parametrize("full", [True, False], ids=["full-batch", "mini-batch"])
def test_ctrl_c_at_every_step_of_fit_resumes_bit_identical(tmp_path: Path, full: bool) -> None:
    epochs = 4 if full else 3
    steps = epochs * (1 if full else 3)
    reference = _run(tmp_path / "ref.npz", full=full, epochs=epochs)
    for at in range(1, steps):  # the last step ends the run: nothing to resume
        ckpt = tmp_path / f"at{at}.npz"
        _, h, _ = _run(ckpt, full=full, epochs=epochs, ctrl_c=CtrlC(at=at))
        assert h.stop_reason == "interrupted", at
        saved = load_checkpoint(ckpt)
        # a Ctrl-C in an epoch's last step lets the epoch end: the file is the next epoch's start
        assert int(saved["step_in_epoch"]) < (1 if full else 3), at
        _same(reference, _run(ckpt, full=full, epochs=epochs, resume=True))


@pytest.mark.parametrize("full", [True, False], ids=["full-batch", "mini-batch"])
def test_ctrl_c_during_an_epoch_end_resumes_bit_identical(tmp_path: Path, full: bool) -> None:
    reference = _run(tmp_path / "ref.npz", full=full, epochs=3)
    for epoch in (1, 2):
        ckpt = tmp_path / f"e{epoch}.npz"
        _, h, _ = _run(ckpt, full=full, epochs=3, ctrl_c=CtrlC(at_epoch_end=epoch))
        assert h.stop_reason == "interrupted" and len(h) == epoch
        _same(reference, _run(ckpt, full=full, epochs=3, resume=True))


@pytest.mark.parametrize("full", [True, False], ids=["full-batch", "mini-batch"])
def test_a_checkpoint_saved_after_an_epochs_last_step_resumes_bit_identical(tmp_path: Path, full: bool) -> None:
    """A KeyboardInterrupt raised by code in an epoch's last step saves at once: step_in_epoch equals the
    batches in an epoch (as every such checkpoint of earlier versions); resuming finishes that epoch."""
    per_epoch = 1 if full else 3
    reference = _run(tmp_path / "ref.npz", full=full, epochs=3)
    for epoch in (1, 2):
        ckpt = tmp_path / f"raw{epoch}.npz"
        _run(ckpt, full=full, epochs=3, ctrl_c=CtrlC(at=epoch * per_epoch, raw=True))
        saved = load_checkpoint(ckpt)
        assert (int(saved["epoch"]), int(saved["step_in_epoch"])) == (epoch - 1, per_epoch)
        _same(reference, _run(ckpt, full=full, epochs=3, resume=True))


class DoubleCtrlC(CtrlC):
    def on_batch_end(self, state, loss) -> None:  # type: ignore[no-untyped-def]
        self.steps += 1
        if self.steps == self.at:
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)  # the second stops at once: KeyboardInterrupt


@pytest.mark.parametrize("full", [True, False], ids=["full-batch", "mini-batch"])
def test_a_double_ctrl_c_leaves_a_checkpoint_that_resumes_bit_identical(tmp_path: Path, full: bool) -> None:
    """A second Ctrl-C stops without writing: the checkpoint left is the last one written, and it resumes."""
    per_epoch = 1 if full else 3
    reference = _run(tmp_path / "ref.npz", full=full, epochs=3)
    for at in range(per_epoch + 1, 3 * per_epoch):
        ckpt = tmp_path / f"d{at}.npz"
        with pytest.raises(KeyboardInterrupt):
            _run(ckpt, full=full, epochs=3, ctrl_c=DoubleCtrlC(at=at))
        _same(reference, _run(ckpt, full=full, epochs=3, resume=True))


def test_ctrl_c_in_the_last_step_of_the_run_completes_it(tmp_path: Path) -> None:
    reference = _run(tmp_path / "ref.npz", full=True, epochs=3)
    run = _run(tmp_path / "last.npz", full=True, epochs=3, ctrl_c=CtrlC(at=3))
    _same(reference, run)  # stop_reason "completed": there is nothing left to resume
    assert int(load_checkpoint(tmp_path / "last.npz")["epoch"]) == 3


# -- the checkpoint's rate (§7) ---------------------------------------------------------------------------


class Clock:
    """An injected clock: ``now`` advances only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Tick(Callback):
    """Advances the clock by ``seconds`` after every epoch (before the checkpoint decides)."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    def on_epoch_end(self, state) -> None:  # type: ignore[no-untyped-def]
        self.clock.now += self.seconds


def test_checkpoints_are_written_at_a_bounded_rate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tinygrad_np.train import callbacks

    writes: list[int] = []
    real = callbacks.save_checkpoint
    monkeypatch.setattr(callbacks, "save_checkpoint", lambda path, arrays: (writes.append(int(arrays["epoch"])),
                        real(path, arrays)))  # fmt: skip
    x, y = small_binary_data(90, 6, 0)
    clock = Clock()
    model = small_mlp(0, dropout=False)
    ckpt = ModelCheckpoint(tmp_path / "last.npz", every=2.5, clock=clock)
    tnp.fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1), x, y, epochs=10,
            callbacks=[Tick(clock, 1.0), ckpt], progress="none")  # fmt: skip
    # the first epoch, then whenever 2.5 s have passed since the last write, and always the last epoch
    assert writes == [1, 4, 7, 10]
    writes.clear()
    clock.now = 0.0
    ckpt = ModelCheckpoint(tmp_path / "last.npz", every=2.5, clock=clock)
    tnp.fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1), x, y, epochs=10,
            callbacks=[Tick(clock, 1.0), ckpt, CtrlC(at=5)], progress="none")  # fmt: skip
    assert writes == [1, 4, 5]  # Ctrl-C always writes
    writes.clear()
    every_epoch = ModelCheckpoint(tmp_path / "last.npz", every=0, clock=clock)
    tnp.fit(model, tnp.BCELoss(), tnp.SGD(model.parameters(), lr=0.1), x, y, epochs=3,
            callbacks=[every_epoch], progress="none")  # fmt: skip
    assert writes == [1, 2, 3]


def test_the_checkpoint_rate_is_checked() -> None:
    for bad in (-1.0, float("nan"), float("inf"), "5"):
        with pytest.raises((ValueError, TypeError), match=r"^ModelCheckpoint: every must be"):
            ModelCheckpoint("x.npz", every=bad)  # type: ignore[arg-type]


# -- the command lines ------------------------------------------------------------------------------------


def no_pictures(m: pytest.MonkeyPatch) -> None:
    """The run folders' PNGs (matplotlib, most of a small run's time) are not what these tests check."""
    import models.cat.plots as cat_plots
    import models.fashion.train_cmd as train_cmd

    for name in ("save_cost_curve", "save_mislabelled", "save_captioned"):
        m.setattr(cat_plots, name, lambda *args, **kwargs: None)
    m.setattr(train_cmd, "_pictures", lambda *args: ["weights.npz"])


def _same_outputs(a: Path, b: Path, curve: str) -> None:
    import json

    wa, wb = tnp.load(a / "weights.npz"), tnp.load(b / "weights.npz")
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    assert ma[curve] == mb[curve]


def _interrupt_each_step_then_resume(  # type: ignore[no-untyped-def]
    main, base: list[str], tmp_path: Path, steps: range, curve: str, monkeypatch, capsys
) -> None:
    """A reference run of command line ``base``; then, for each step in ``steps``, a run stopped by
    Ctrl-C at that step (exit 130, the resume hint) and resumed from its checkpoint, whose outputs must
    equal the reference's bit for bit."""
    assert main([*base, "--out", str(tmp_path / "ref")]) == 0
    for at in steps:
        out = tmp_path / f"at{at}"
        with monkeypatch.context() as m:
            ctrl_c_at(m, at)
            assert main([*base, "--out", str(out)]) == 130
        assert f"--resume {out / 'checkpoint.npz'}" in capsys.readouterr().err
        assert main([*base, "--out", str(out), "--resume", str(out / "checkpoint.npz")]) == 0, capsys.readouterr()
        _same_outputs(tmp_path / "ref", out, curve)


@pytest.fixture
def cat_h5(tmp_path: Path) -> Path:
    """train/test_catvnoncat.h5 with 6 and 4 random 64x64 pictures."""
    pytest.importorskip("matplotlib")
    return write_cat_h5(tmp_path / "h5")


@pytest.mark.parametrize(
    "recipe", [["--iterations", "4"], ["--batch-size", "4", "--epochs", "2", "--optimizer", "adam"]],
    ids=["full-batch", "mini-batch"],
)  # fmt: skip
def test_cat_cli_ctrl_c_at_every_step_then_resume_is_bit_identical(
    cat_h5: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    recipe: list[str],
) -> None:  # fmt: skip
    from models.cat.cli import main

    no_pictures(monkeypatch)
    base = ["train", "--data", str(cat_h5), "--model", "two-layer", "--lr", "0.05", "--dropout", "0.2",
            *recipe, "--checkpoint", "--checkpoint-every", "0"]  # fmt: skip
    # each run has 4 steps: full batch 4 x 1, mini-batch 2 x (4 + 2)
    _interrupt_each_step_then_resume(main, base, tmp_path, range(1, 4), "costs", monkeypatch, capsys)


@pytest.mark.parametrize(
    "recipe", [["--batch-size", "80", "--epochs", "3"], ["--batch-size", "30", "--epochs", "2"]],
    ids=["full-batch", "mini-batch"],
)  # fmt: skip
def test_fashion_cli_ctrl_c_at_every_step_then_resume_is_bit_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], recipe: list[str]
) -> None:
    pytest.importorskip("matplotlib")
    from idxfiles import write_fashion_folder

    from models.fashion.cli import main

    no_pictures(monkeypatch)
    data = write_fashion_folder(tmp_path / "fm", n_train=100, n_test=10)
    base = ["train", "--data", str(data), "--val-size", "20", "--hidden", "16", "--dropout", "0.2",
            "--lr", "0.01", *recipe, "--checkpoint", "--checkpoint-every", "0"]  # fmt: skip
    steps = 3 if "80" in recipe else 2 * 3  # 80 training images: 3 x 1 batch, or 2 x (30 + 30 + 20)
    _interrupt_each_step_then_resume(main, base, tmp_path, range(1, steps), "validation", monkeypatch, capsys)


@pytest.mark.slow
def test_a_real_ctrl_c_to_the_cat_command_then_resume_is_bit_identical(
    cat_h5: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one subprocess: a real SIGINT at whatever moment training has reached, then the same command
    with --resume, against the same run never interrupted (in-process)."""
    from models.cat.cli import main

    out = tmp_path / "run"
    base = ["train", "--data", str(cat_h5), "--model", "two-layer", "--lr", "0.05", "--checkpoint"]
    args = [*base, "--iterations", "1000000", "--print-every", "1", "--out", str(out)]
    code, _, stderr = interrupt_at("models.cat", args, "Cost after iteration 5:")
    assert code == 130, stderr
    done = int(load_checkpoint(out / "checkpoint.npz")["epoch"])
    assert done >= 6 and int(load_checkpoint(out / "checkpoint.npz")["step_in_epoch"]) == 0
    total = ["--iterations", str(done + 2)]
    no_pictures(monkeypatch)
    assert main([*base, *total, "--out", str(out), "--resume", str(out / "checkpoint.npz")]) == 0
    assert main([*base, *total, "--out", str(tmp_path / "ref")]) == 0
    _same_outputs(tmp_path / "ref", out, "costs")


def test_a_mid_epoch_checkpoint_without_the_epochs_lr_still_resumes(tmp_path: Path) -> None:
    """Checkpoints written before the epoch's starting lr was kept (no partial/lr) resume as before: the
    weights bit-identical, the cut epoch's History lr taken at the resume (the same here: StepLR moves
    only between epochs)."""
    reference = _run(tmp_path / "ref.npz", full=False, epochs=3)
    ckpt = tmp_path / "ckpt.npz"
    assert _run(ckpt, full=False, epochs=3, ctrl_c=CtrlC(at=4))[1].stop_reason == "interrupted"
    arrays = load_checkpoint(ckpt)
    assert int(arrays["step_in_epoch"]) == 1 and "partial/lr" in arrays
    tnp.save({k: v for k, v in arrays.items() if k != "partial/lr"}, ckpt)  # as an older version wrote it
    _same(reference, _run(ckpt, full=False, epochs=3, resume=True))
