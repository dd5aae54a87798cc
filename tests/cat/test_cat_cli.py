"""``python -m models.cat`` on small data the tests make: train, evaluate, predict."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py missing: pip install -e '.[cat]'")
Image = pytest.importorskip("PIL.Image", reason="Pillow missing: pip install -e '.[cat]'")
pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")

import tinygrad_np as tnp  # noqa: E402
from models.cat.cli import main  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def picture(path: Path, cat: bool, mode: str = "RGB", size=(72, 48)) -> Path:
    """Cats are reddish, non-cats bluish: a pattern a few iterations can start to learn."""
    rng = np.random.default_rng(zlib.crc32(path.name.encode()))
    arr = rng.integers(0, 90, (size[1], size[0], 3), dtype=np.uint8)
    arr[..., 0 if cat else 2] += 150
    im = Image.fromarray(arr)
    im = im.convert(mode) if mode != "P" else im.convert("P")
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path)
    return path


@pytest.fixture
def image_data(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    for i in range(4):
        picture(root / "train" / f"cat{i}.jpg", True)
        picture(root / "train" / f"noncat{i}.png", False)
    picture(root / "test" / "cat" / "a.png", True, "RGBA")
    picture(root / "test" / "non-cat" / "b.png", False, "L")
    picture(root / "test" / "non-cat" / "c.png", False, "P")
    return root


def test_train_writes_every_file(image_data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    argv = ["train", "--model", "two-layer", "--iterations", "7", "--data", str(image_data)]
    assert main([*argv, "--out", str(out), "--init", "he", "--seed", "5"]) == 0
    printed = capsys.readouterr().out
    assert "Cost after iteration 0: " in printed and "Cost after iteration 6: " in printed
    assert "\r" not in printed  # no progress bar when stdout is not a terminal
    assert re.search(r"^Train accuracy: [01]\.\d{4} \(\d/8\)$", printed, re.M)
    assert re.search(r"^Test accuracy: [01]\.\d{4} \(\d/3\)$", printed, re.M)
    assert sorted(p.name for p in out.iterdir()) == [
        "cost_curve.png",
        "metrics.json",
        "mislabelled.png",
        "test_picture.png",
        "weights.npz",
    ]
    for png in ("cost_curve.png", "mislabelled.png", "test_picture.png"):
        assert (out / png).read_bytes()[:8] == PNG
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["costs"]) == 7 and metrics["seconds"] >= 0
    assert metrics["settings"]["model"] == "two-layer" and metrics["settings"]["seed"] == 5
    assert metrics["settings"]["layer_sizes"] == [12288, 7, 1]
    assert metrics["test"]["total"] == 3 and metrics["train"]["total"] == 8
    weights = tnp.load(out / "weights.npz")
    assert weights["0.weight"].shape == (7, 12288) and weights["0.weight"].dtype == np.float64


def test_train_h5_float32_default_out(h5_data: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--iterations", "3", "--data", str(h5_data), "--dtype", "float32"]
    assert main(argv) == 0
    assert main(argv) == 0
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2 and all(r.name.startswith("cat-deep-") for r in runs)  # fresh each time
    weights = tnp.load(runs[0] / "weights.npz")
    assert weights["6.weight"].shape == (1, 5) and weights["0.weight"].dtype == np.float32


def test_train_bad_data_folder(tmp_path: Path, capsys) -> None:
    assert main(["train", "--data", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"error: {tmp_path}: the folder must hold the cat data: train_catvnoncat.h5 and test_catvnoncat.h5, "
        "or train/ and test/ folders of images, got neither\n"
    )
    assert not (tmp_path / "o").exists()


def test_bad_arguments_exit_2(capsys) -> None:
    for argv in (["train", "--iterations", "0"], ["train", "--model", "huge"], []):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2


@pytest.fixture
def weights(image_data: Path, tmp_path: Path) -> Path:
    out = tmp_path / "trained"
    argv = ["train", "--model", "two-layer", "--iterations", "30", "--lr", "0.05"]
    assert main([*argv, "--data", str(image_data), "--out", str(out)]) == 0
    return out / "weights.npz"


def test_evaluate(weights: Path, image_data: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["evaluate", "--weights", str(weights), "--data", str(image_data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith("Classes: train 4 cat + 4 non-cat, test 1 cat + 2 non-cat")
    assert "accuracy" in lines[3] and "precision" in lines[3] and "F1" in lines[3]
    train, test = lines[4].split(), lines[5].split()
    assert train[0] == "train" and test[0] == "test"
    assert all(0.0 <= float(v) <= 1.0 for v in train[1:5] + test[1:5])
    assert "/8 right)" in lines[4] and "/3 right)" in lines[5]


def test_evaluate_bad_weights(tmp_path: Path, image_data: Path, capsys) -> None:
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    assert main(["evaluate", "--weights", str(bad), "--data", str(image_data)]) == 2
    assert f"error: {bad}" in capsys.readouterr().err


def test_predict_mixed_files(weights: Path, tmp_path: Path, capsys) -> None:
    big_cat = picture(tmp_path / "in" / "big_cat.jpg", True, size=(640, 480))
    gray = picture(tmp_path / "in" / "gray.png", False, "L", size=(30, 90))
    rgba = picture(tmp_path / "in" / "alpha.png", True, "RGBA")
    palette = picture(tmp_path / "in" / "palette.png", False, "P")
    text = tmp_path / "in" / "notes.jpg"
    text.write_text("this is not a picture")
    missing = tmp_path / "in" / "missing.png"
    files = [big_cat, text, gray, missing, rgba, palette]
    capsys.readouterr()
    assert main(["predict", "--weights", str(weights), *map(str, files)]) == 1
    captured = capsys.readouterr()
    out_lines = captured.out.splitlines()
    assert [line.split(": ")[0] for line in out_lines] == [str(f) for f in (big_cat, gray, rgba, palette)]
    for line in out_lines:
        label, prob = line.split(": ", 1)[1].split(" (P(cat) = ")
        assert label in ("cat", "non-cat")
        assert (float(prob.rstrip(")")) > 0.5) == (label == "cat")
    err_lines = captured.err.splitlines()
    assert len(err_lines) == 2
    assert (
        err_lines[0]
        == f"error: {text}: the file must be an image Pillow can read, got a format it does not recognise"
    )
    assert err_lines[1] == f"error: {missing}: the file must exist, got nothing at that path"


def test_predict_all_good_exit_0(weights: Path, tmp_path: Path, capsys) -> None:
    assert main(["predict", "--weights", str(weights), str(picture(tmp_path / "x.png", True))]) == 0


def test_python_dash_m(weights: Path, tmp_path: Path) -> None:
    image = picture(tmp_path / "y.jpg", False)
    cmd = [sys.executable, "-m", "models.cat", "predict", "--weights", str(weights), str(image)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{image}: ")


def test_train_with_the_training_tools(image_data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "adam"
    argv = ["train", "--data", str(image_data), "--out", str(out), "--init", "he", "--optimizer", "adam"]
    argv += ["--lr", "0.001", "--batch-size", "3", "--epochs", "4", "--weight-decay", "0.01"]
    assert main([*argv, "--dropout", "0.3", "--checkpoint"]) == 0
    printed = capsys.readouterr().out
    assert "adam lr 0.001, weight decay 0.01, dropout 0.3, batch size 3, 4 epochs" in printed
    assert "Cost after epoch 0: " in printed and "Cost after epoch 3: " in printed
    assert (out / "checkpoint.npz").is_file()
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert settings["optimizer"] == "adam" and settings["batch_size"] == 3 and settings["epochs"] == 4
    # the saved weights have the plain keys (no Dropout positions), so evaluate/predict load them
    assert sorted(tnp.load(out / "weights.npz")) == [
        f"{i}.{p}" for i in (0, 2, 4, 6) for p in ("bias", "weight")
    ]
    assert main(["evaluate", "--weights", str(out / "weights.npz"), "--data", str(image_data)]) == 0
    # resuming the finished 4-epoch run up to 6 epochs trains only epochs 5 and 6
    more = tmp_path / "more"
    argv2 = [a if a != str(out) else str(more) for a in argv]
    argv2[argv2.index("--epochs") + 1] = "6"
    assert main([*argv2, "--dropout", "0.3", "--resume", str(out / "checkpoint.npz")]) == 0
    assert len(json.loads((more / "metrics.json").read_text())["costs"]) == 6


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_a_diverging_run_is_a_clear_error_and_leaves_nothing(
    image_data: Path, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--data", str(image_data), "--init", "he", "--lr", "1e300", "--iterations", "20"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(r"error: .*(NaN|infinite).*epoch \d+.*learning rate", err, re.S | re.I), err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_momentum_is_for_sgd_only(image_data: Path, tmp_path: Path, capsys) -> None:
    argv = ["train", "--data", str(image_data), "--out", str(tmp_path / "x"), "--optimizer", "adam"]
    assert main([*argv, "--momentum", "0.9", "--iterations", "2"]) == 2
    assert "--momentum is for sgd" in capsys.readouterr().err
