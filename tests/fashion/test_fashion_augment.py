"""``python -m models.fashion train``'s recipe options: --augment (a seeded DataLoader, resumable exactly),
--label-smoothing, --schedule warmup-cosine, --convs-per-block, --time-budget (an injected clock), and
their errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from idxfiles import write_fashion_folder
from processes import ctrl_c_at

pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")

import models.fashion.callbacks as fashion_callbacks
import models.fashion.train_cmd as train_cmd
import tinygrad_np as tnp
from models.fashion.cli import main
from models.fashion.model import cnn, describe, load_model
from models.fashion.train_options import augment_spec, augment_transform
from tinygrad_np.data.transforms import Compose

SMALL = ["--val-size", "20", "--hidden", "16", "--lr", "0.01", "--batch-size", "30"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_fashion_folder(tmp_path / "fm", n_train=100, n_test=10)


@pytest.fixture(autouse=True)
def no_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    """The PNGs (matplotlib, most of a small run's time) are not what these tests check."""
    monkeypatch.setattr(train_cmd, "_pictures", lambda *args: ["weights.npz"])


def train(data: Path, out: Path, *extra: str) -> int:
    return main(["train", "--data", str(data), "--out", str(out), *SMALL, *extra])


def metrics(out: Path) -> dict:
    return json.loads((out / "metrics.json").read_text())


def test_augment_spec_full_form_and_transform() -> None:
    assert augment_spec("crop,flip") == augment_spec("flip,crop") == "crop:2,flip:0.5"
    assert augment_spec("crop:4") == "crop:4" and augment_spec("flip:1") == "flip:1.0"
    assert augment_spec("none") == "none" and augment_transform("none") is None
    t = augment_transform("crop:3,flip:0.25")
    assert isinstance(t, Compose) and [type(s).__name__ for s in t.transforms] == [
        "RandomCrop", "RandomHorizontalFlip"]  # fmt: skip
    assert t.transforms[0].padding == 3 and t.transforms[1].p == 0.25


class Spy:
    """Wraps the --augment transform, recording each batch before and after."""

    def __init__(self, transform: Compose) -> None:
        self.transform, self.random, self.seen = transform, True, []

    def __call__(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        out = self.transform(x, rng)
        self.seen.append((x.copy(), out.copy()))
        return out


def test_augment_trains_on_augmented_batches_and_never_augments_validation(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spies: list[Spy] = []

    def spied(spec: str) -> Spy | None:
        transform = augment_transform(spec)
        if transform is None:
            return None
        spies.append(Spy(transform))
        return spies[-1]

    monkeypatch.setattr(train_cmd, "augment_transform", spied)
    assert train(data, tmp_path / "run", "--epochs", "2", "--augment", "crop:2,flip:1") == 0
    (spy,) = spies
    # every training image once per epoch (80 = 30 + 30 + 20), none of the 20 validation images
    assert [len(x) for x, _ in spy.seen] == [30, 30, 20] * 2
    for x, out in spy.seen:
        assert out.shape == x.shape and out.dtype == x.dtype
        # flip with p=1 then crop: not the identity on a batch of bar images
        assert not np.array_equal(out, x)
        # a crop of a flip is a shifted mirror: each picture keeps its pixel values (padding adds 0s)
        assert np.all(np.isin(np.unique(out), np.append(np.unique(x), 0)))
    m = metrics(tmp_path / "run")
    assert m["settings"]["augment"] == "crop:2,flip:1.0"
    spies.clear()
    assert train(data, tmp_path / "plain", "--epochs", "1") == 0
    assert spies == []  # without --augment, nothing is transformed
    assert metrics(tmp_path / "plain")["settings"]["augment"] == "none"


def test_ctrl_c_with_augmentation_then_resume_is_bit_identical(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--epochs", "2", "--augment", "crop,flip", "--dropout", "0.2", "--schedule", "warmup-cosine",
            "--label-smoothing", "0.1", "--checkpoint", "--checkpoint-every", "0"]  # fmt: skip
    assert train(data, tmp_path / "ref", *base) == 0
    ref = metrics(tmp_path / "ref")
    for at in (1, 3, 4):  # 2 epochs x 3 steps: mid-epoch, at the epoch's end, in the second epoch
        out = tmp_path / f"at{at}"
        with monkeypatch.context() as m:
            ctrl_c_at(m, at)
            assert train(data, out, *base) == 130
        capsys.readouterr()
        assert train(data, out, *base, "--resume", str(out / "checkpoint.npz")) == 0, capsys.readouterr()
        wa, wb = tnp.load(tmp_path / "ref" / "weights.npz"), tnp.load(out / "weights.npz")
        for k in wa:
            np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)
        got, want = metrics(out)["history"], ref["history"]
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert got[key] == want[key], key
        # the epoch's starting lr is in the mid-epoch checkpoint: the History is the same too, also for the
        # epoch a Ctrl-C landed in the middle of (under the per-step schedule)
        assert got["lr"] == want["lr"]
        assert metrics(out)["validation"] == ref["validation"]


def test_a_different_augment_on_resume_is_refused_and_a_missing_one_kept(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert train(data, out, "--epochs", "1", "--augment", "crop", "--checkpoint") == 0
    ckpt = str(out / "checkpoint.npz")
    capsys.readouterr()
    assert train(data, out, "--epochs", "2", "--augment", "flip", "--resume", ckpt) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "error: --augment flip:0.5 differs from the checkpoint's crop:2"
    )
    assert train(data, out, "--epochs", "2", "--resume", ckpt) == 0
    assert metrics(out)["settings"]["augment"] == "crop:2"
    assert train(data, out, "--epochs", "3", "--label-smoothing", "0.2", "--resume", ckpt) == 2
    assert "--label-smoothing" in capsys.readouterr().err


class Clock:
    """An injected clock: time passes only when an epoch ends (10 s each)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_time_budget_stops_after_an_epoch_with_exit_0(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock, on_epoch_end = Clock(), fashion_callbacks.TimeBudget.on_epoch_end

    def tick(self, state):  # type: ignore[no-untyped-def]
        clock.now += 10.0
        on_epoch_end(self, state)

    monkeypatch.setattr(fashion_callbacks, "clock", clock)
    monkeypatch.setattr(fashion_callbacks.TimeBudget, "on_epoch_end", tick)
    # epoch k ends at 10 k s; it stops when 10 k + 10 (the next epoch, estimated) > 45: after epoch 4
    out = tmp_path / "run"
    assert train(data, out, "--epochs", "9", "--time-budget", "45", "--checkpoint") == 0
    assert "Stopped by the time budget (45 s) after epoch 4 of 9." in capsys.readouterr().out
    m = metrics(out)
    assert m["settings"]["stop_reason"] == "time budget" and m["settings"]["time_budget"] == 45.0
    assert len(m["history"]["loss"]) == 4 and "validation" in m
    assert (out / "weights.npz").is_file()
    # the checkpoint records the time spent, and a resume with a larger budget counts it: 70 + 10 > 75
    ckpt = str(out / "checkpoint.npz")
    assert float(tnp.load_checkpoint(ckpt)["callbacks/TimeBudget.0/spent"]) == 40.0
    assert train(data, out, "--epochs", "9", "--time-budget", "75", "--resume", ckpt) == 0
    assert len(metrics(out)["history"]["loss"]) == 7
    assert metrics(out)["settings"]["stop_reason"] == "time budget"
    # without a budget the run completes
    assert train(data, tmp_path / "full", "--epochs", "5") == 0
    assert metrics(tmp_path / "full")["settings"]["stop_reason"] == "completed"


def test_recipe_options_reach_the_model_loss_and_schedule(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "cnn"
    extra = ["--model", "cnn", "--channels", "2,4", "--convs-per-block", "2", "--epochs", "3",
             "--schedule", "warmup-cosine", "--warmup-epochs", "1", "--label-smoothing", "0.1"]  # fmt: skip
    assert main(["train", "--data", str(data), "--out", str(out), "--val-size", "20", "--batch-size", "40",
                 "--lr", "0.01", *extra]) == 0  # fmt: skip
    model = load_model(str(out / "weights.npz"))
    assert describe(model) == describe(cnn([2, 4], convs_per_block=2))
    m = metrics(out)
    assert m["settings"]["convs_per_block"] == 2 and m["settings"]["label_smoothing"] == 0.1
    # per step (2 a epoch): lr(it) = 0.01 (it + 1) / 3 for it < 2, then a cosine to 0 at step 6
    lr = m["history"]["lr"]
    np.testing.assert_allclose(lr, [0.01 / 3, 0.01, 0.01 * 0.5 * (1 + np.cos(np.pi * 2 / 4))])


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        (["--augment", "rotate"], "--augment"),
        (["--augment", "crop:0"], "--augment"),
        (["--augment", "flip:1.5"], "--augment"),
        (["--augment", "crop,crop"], "--augment"),
        (["--label-smoothing", "1"], "--label-smoothing"),
        (["--time-budget", "0"], "--time-budget"),
        (["--convs-per-block", "0"], "--convs-per-block"),
        (["--warmup-epochs", "-1"], "--warmup-epochs"),
    ],
)
def test_bad_values_name_the_option(extra: list[str], flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", *extra])
    assert exc.value.code == 2
    assert f"argument {flag}:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--warmup-epochs", "1"], "error: --warmup-epochs is for --schedule warmup-cosine, got --schedule cosine"),
        (["--convs-per-block", "2"], "error: --convs-per-block is for --model cnn, got --model mlp"),
        (["--schedule", "warmup-cosine", "--warmup-epochs", "2", "--epochs", "2"],
         "error: --warmup-epochs must be less than --epochs (2), got 2"),
    ],
)  # fmt: skip
def test_inconsistent_options_are_one_error_line(
    data: Path, tmp_path: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert train(data, tmp_path / "run", *extra) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [message]
