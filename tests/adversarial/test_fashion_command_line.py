"""The Fashion command line's defects the cat one had fixed (issue 18 §2), and where ``evaluate --show``
writes its picture (§7): a resume keeps the checkpoint's settings and refuses others (one rule shared
with the cat CLI), the validation split is recorded and checked, errors name the option, ``--version``
and ``predict --grid`` exist."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from datafiles import write_cat_h5
from idxfiles import write_fashion_folder

pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")
Image = pytest.importorskip("PIL.Image", reason="Pillow missing: pip install -e '.[cat]'")

import tinygrad_np as tnp  # noqa: E402
from models.fashion.cli import main  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def no_pictures(m: pytest.MonkeyPatch) -> None:
    """The run folder's PNGs (matplotlib, most of a small run's time) are not what these tests check."""
    import models.fashion.train_cmd as train_cmd

    m.setattr(train_cmd, "_pictures", lambda *args: ["weights.npz"])


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    no_pictures(monkeypatch)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(data folder, checkpoint) of a one-epoch run with --lr 0.01 --seed 3, made once for the module."""
    tmp = tmp_path_factory.mktemp("fashion")
    data = write_fashion_folder(tmp / "fm", n_train=100, n_test=20)
    with pytest.MonkeyPatch.context() as m:
        no_pictures(m)
        assert _train(data, tmp / "first", "--epochs", "1", "--lr", "0.01", "--seed", "3", "--checkpoint") == 0
    return data, tmp / "first" / "checkpoint.npz"


@pytest.fixture
def data(first_run: tuple[Path, Path]) -> Path:
    return first_run[0]


@pytest.fixture
def checkpointed(first_run: tuple[Path, Path]) -> Path:
    return first_run[1]


def one_error_line(capsys: pytest.CaptureFixture[str], *needles: str) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)
    return lines[0]


def _train(data: Path, out: Path, *extra: str) -> int:
    return main(["train", "--data", str(data), "--out", str(out), "--val-size", "20", "--hidden", "16",
                 "--batch-size", "40", *extra])  # fmt: skip


@pytest.mark.parametrize(
    ("flag", "value", "saved"),
    [("--lr", "0.5", "0.01"), ("--weight-decay", "0.1", "0.0"), ("--seed", "7", "3"),
     ("--optimizer", "sgd", "adam"), ("--schedule", "constant", "cosine"), ("--dropout", "0.5", "0.0")],
)  # fmt: skip
def test_resume_with_other_settings_is_refused(
    data: Path, checkpointed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str,
    saved: str,
) -> None:  # fmt: skip
    capsys.readouterr()
    out = tmp_path / "x"
    assert _train(data, out, "--epochs", "2", "--resume", str(checkpointed), flag, value) == 2
    one_error_line(capsys, f"{flag} {value} differs from the checkpoint's {saved}", f"drop {flag}")
    assert not (out / "metrics.json").exists()


@pytest.mark.parametrize(
    ("flag", "value"), [("--limit", "90"), ("--val-seed", "1"), ("--val-size", "10")]
)
def test_resume_refuses_another_validation_split(
    data: Path, checkpointed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    capsys.readouterr()
    argv = ["train", "--data", str(data), "--out", str(tmp_path / "x"), "--hidden", "16", "--batch-size", "40"]
    argv += ["--epochs", "2", "--resume", str(checkpointed), flag, value]
    if flag != "--val-size":
        argv += ["--val-size", "20"]
    assert main(argv) == 2
    one_error_line(capsys, f"{flag} {value} differs from the checkpoint's", f"drop {flag}")


def test_resume_on_other_data_is_refused(checkpointed: Path, tmp_path: Path, capsys) -> None:
    other = write_fashion_folder(tmp_path / "other", n_train=120, n_test=20)
    capsys.readouterr()
    assert _train(other, tmp_path / "x", "--epochs", "2", "--resume", str(checkpointed)) == 2
    one_error_line(capsys, "the training split must have the checkpoint's 80 images, got 100")


def test_resume_keeps_and_records_the_checkpoint_settings(
    data: Path, checkpointed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "resumed"
    # the same command, and a shorter one: both continue with the checkpoint's lr and seed
    assert _train(data, out, "--epochs", "2", "--lr", "0.01", "--seed", "3", "--resume", str(checkpointed)) == 0
    assert _train(data, out, "--epochs", "2", "--resume", str(checkpointed)) == 0
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert (settings["lr"], settings["seed"], settings["resume"]) == (0.01, 3, str(checkpointed))
    assert "adam lr 0.01" in capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--seed", "--val-seed", "--val-size"])
def test_a_negative_seed_names_the_option(data: Path, tmp_path: Path, capsys, flag: str) -> None:
    with pytest.raises(SystemExit) as info:
        main(["train", "--data", str(data), "--out", str(tmp_path / "x"), flag, "-1"])
    assert info.value.code == 2
    assert f"argument {flag}: {flag} must be" in capsys.readouterr().err


def test_evaluate_on_files_with_no_image_is_a_clear_error(tmp_path: Path, capsys) -> None:
    from models.fashion.model import mlp

    empty = write_fashion_folder(tmp_path / "empty", n_train=10, n_test=0)
    tnp.save(mlp((8,)), tmp_path / "w.npz")
    assert main(["evaluate", "--weights", str(tmp_path / "w.npz"), "--data", str(empty)]) == 2
    one_error_line(capsys, "the test set must hold at least one image to evaluate, got 0")


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and f"tinygrad_np {tnp.__version__}" in capsys.readouterr().out


def test_predict_grid(tmp_path: Path, capsys) -> None:
    from models.fashion.model import mlp

    tnp.save(mlp((8,)), tmp_path / "w.npz")
    arr = np.zeros((56, 40), dtype=np.uint8)
    arr[20:24, 5:35] = 255
    Image.fromarray(arr).save(tmp_path / "bar.png")
    grid = tmp_path / "grid.png"
    assert main(["predict", "--weights", str(tmp_path / "w.npz"), "--grid", str(grid), str(tmp_path / "bar.png")]) == 0
    assert grid.read_bytes()[:8] == PNG and f"Wrote {grid} (1 pictures)" in capsys.readouterr().out


# -- the cat CLI's evaluate --show (§7) ------------------------------------------------------------------


def test_cat_evaluate_show_writes_beside_the_weights(tmp_path: Path, monkeypatch, capsys) -> None:
    from models.cat.cli import main as cat_main
    from models.cat.model import mlp

    root = write_cat_h5(tmp_path / "h5", train=4, test=9)
    run = tmp_path / "run"
    run.mkdir()
    tnp.save(mlp([12288, 2, 1]), run / "weights.npz")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cat_main(["evaluate", "--weights", str(run / "weights.npz"), "--data", str(root), "--show", "7"]) == 0
    assert (run / "test_picture_7.png").read_bytes()[:8] == PNG
    assert list(elsewhere.iterdir()) == []
