"""``python -m models.fashion`` on small IDX data the tests write: train, evaluate, predict, resume, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from idxfiles import write_fashion_folder

pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")
Image = pytest.importorskip("PIL.Image", reason="Pillow missing: pip install -e '.[cat]'")

from models.fashion.cli import main  # noqa: E402
from models.fashion.model import load_model  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_fashion_folder(tmp_path / "fm", n_train=300, n_test=60)


def train(data: Path, out: Path, *extra: str) -> int:
    return main(["train", "--data", str(data), "--out", str(out), "--val-size", "60", *extra])


@pytest.mark.slow
def test_train_mlp_writes_everything_and_learns(data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert train(data, out, "--epochs", "8", "--lr", "3e-3", "--test") == 0
    text = capsys.readouterr().out
    assert "240 train, 60 validation images" in text and "Test accuracy:" in text
    names = {"weights.npz", "curves.png", "confusion.png", "predictions.png", "metrics.json"}
    assert names <= {p.name for p in out.iterdir()}
    for png in ("curves.png", "confusion.png", "predictions.png"):
        assert (out / png).read_bytes()[:8] == PNG
    m = json.loads((out / "metrics.json").read_text())
    assert len(m["history"]["val_accuracy"]) == 8 and m["settings"]["model"] == "mlp"
    assert m["validation"]["total"] == 60 and m["test"]["total"] == 60
    assert m["test"]["accuracy"] > 0.5  # the synthetic bars are easy; chance is 0.1
    assert np.array(m["test"]["confusion_matrix"]).shape == (10, 10)
    model = load_model(str(out / "weights.npz"))
    assert [type(la).__name__ for la in model][:2] == ["Flatten", "Linear"]


def test_train_without_test_flag_never_reads_the_test_scores(data: Path, tmp_path: Path) -> None:
    assert train(data, tmp_path / "run", "--epochs", "1") == 0
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "test" not in m and "validation" in m


@pytest.mark.slow
@pytest.mark.parametrize("extra", [["--batchnorm", "on", "--dropout", "0.3", "--hidden", "32"]])
def test_mlp_options_roundtrip(data: Path, tmp_path: Path, extra, capsys) -> None:
    assert train(data, tmp_path / "run", "--epochs", "1", *extra) == 0
    model = load_model(str(tmp_path / "run" / "weights.npz"))
    assert [type(la).__name__ for la in model] == ["Flatten", "Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert main(["evaluate", "--weights", str(tmp_path / "run" / "weights.npz"), "--data", str(data)]) == 0
    text = capsys.readouterr().out
    assert "Test accuracy:" in text and "Ankle boot" in text


@pytest.mark.slow
def test_train_cnn_and_evaluate(data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cnn"
    assert train(data, out, "--model", "cnn", "--channels", "4,8", "--epochs", "1", "--limit", "160") == 0
    model = load_model(str(out / "weights.npz"))
    assert sum(type(la).__name__ == "Conv2d" for la in model) == 2
    assert (
        main(["evaluate", "--weights", str(out / "weights.npz"), "--data", str(data), "--limit", "20"]) == 0
    )
    assert "/20)" in capsys.readouterr().out


@pytest.mark.slow
def test_checkpoint_and_resume(data: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert train(data, a, "--epochs", "2", "--checkpoint") == 0
    assert train(data, b, "--epochs", "4", "--resume", str(a / "checkpoint.npz")) == 0
    m = json.loads((b / "metrics.json").read_text())
    assert len(m["history"]["loss"]) == 4


@pytest.mark.slow
def test_predict(data: Path, tmp_path: Path, capsys) -> None:
    assert train(data, tmp_path / "run", "--epochs", "1") == 0
    arr = np.zeros((56, 40), dtype=np.uint8)
    arr[20:24, 5:35] = 255
    Image.fromarray(arr).save(tmp_path / "bar.png")
    (tmp_path / "junk.png").write_bytes(b"not a png")
    code = main(
        [
            "predict",
            "--weights",
            str(tmp_path / "run" / "weights.npz"),
            str(tmp_path / "bar.png"),
            str(tmp_path / "junk.png"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "bar.png: " in captured.out and "(P = " in captured.out
    assert "error:" in captured.err and "junk.png" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--val-size", "999"], "--val-size must be in [0, 299]"),
        (["--val-size", "60", "--channels", "8", "--model", "mlp"], "--channels is for --model cnn"),
        pytest.param(
            ["--val-size", "60", "--lr", "1e6", "--optimizer", "sgd"],
            "; training diverged. ",
            marks=pytest.mark.filterwarnings("ignore::RuntimeWarning"),  # the overflow that is caught
        ),
    ],
)
def test_expected_failures_are_one_error_line(data: Path, tmp_path: Path, argv, message, capsys) -> None:
    code = main(["train", "--data", str(data), "--out", str(tmp_path / "x"), "--epochs", "2", *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err


def test_missing_data_and_bad_weights(tmp_path: Path, capsys) -> None:
    assert main(["train", "--data", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'nowhere'}: the Fashion-MNIST folder must exist, got nothing at that path\n"
    )
    bad = write_fashion_folder(tmp_path / "bad", 20, 10)
    (bad / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b broken")
    assert main(["train", "--data", str(bad), "--val-size", "5"]) == 2
    assert capsys.readouterr().err == (
        f"error: {bad / 'train-images-idx3-ubyte.gz'}: the gzip file must be complete, got a truncated one "
        "(the compressed stream ends early)\n"
    )
    assert not Path("runs").exists() or not any(
        p.name.startswith("fashion-") and not any(p.iterdir()) for p in Path("runs").iterdir()
    )
    np.savez(tmp_path / "w.npz", a=np.zeros(3))
    assert main(["evaluate", "--weights", str(tmp_path / "w.npz"), "--data", str(bad)]) == 2
    assert "w.npz: keys must be those of a Sequential" in capsys.readouterr().err


def test_module_entry_point(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "models.fashion", "train", "--help"], capture_output=True, text=True
    )
    assert r.returncode == 0 and "--val-size" in r.stdout
