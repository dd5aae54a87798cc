"""Issue 12's command-line cases: every expected failure of ``python -m models.cat`` is one ``error:``
line and a non-zero exit, found before any training is spent, and leaves no empty run folder."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="h5py missing: pip install -e '.[cat]'")
pytest.importorskip("PIL.Image", reason="Pillow missing: pip install -e '.[cat]'")
pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")

import tinygrad_np as tnp  # noqa: E402
from models.cat.cli import main  # noqa: E402


def one_error_line(capsys, *needles: str) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def checkpointed(h5_data: Path, tmp_path: Path) -> Path:
    out = tmp_path / "first"
    argv = ["train", "--model", "two-layer", "--data", str(h5_data), "--iterations", "3", "--checkpoint"]
    assert main([*argv, "--lr", "0.01", "--out", str(out)]) == 0
    return out / "checkpoint.npz"


def test_resume_of_another_model(checkpointed: Path, h5_data: Path, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    argv = ["train", "--data", str(h5_data), "--iterations", "5", "--resume", str(checkpointed)]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    one_error_line(capsys, str(checkpointed), "another network", "12288,7,1", "12288,20,7,5,1")
    assert not (tmp_path / "o").exists()


def test_resume_keeps_and_records_the_checkpoint_settings(
    checkpointed: Path, h5_data: Path, tmp_path: Path, capsys
) -> None:
    base = ["train", "--model", "two-layer", "--data", str(h5_data), "--resume", str(checkpointed)]
    capsys.readouterr()
    for flag, value in (("--lr", "0.5"), ("--momentum", "0.9"), ("--weight-decay", "0.1")):
        assert main([*base, "--iterations", "5", flag, value, "--out", str(tmp_path / "x")]) == 2
        one_error_line(capsys, f"{flag} {float(value)} differs from the checkpoint's")
    assert main([*base, "--iterations", "3", "--out", str(tmp_path / "x")]) == 2
    one_error_line(capsys, "has completed 3 epochs", "give more than 3")
    assert main([*base, "--iterations", "5", "--optimizer", "adam", "--out", str(tmp_path / "x")]) == 2
    one_error_line(capsys, "--optimizer adam differs from the checkpoint's sgd", "drop --optimizer")
    assert not (tmp_path / "x").exists()
    out = tmp_path / "resumed"
    assert main([*base, "--iterations", "5", "--lr", "0.01", "--out", str(out)]) == 0  # same lr: fine
    assert main([*base, "--iterations", "5", "--out", str(out)]) == 0
    settings = json.loads((out / "metrics.json").read_text())["settings"]
    assert settings["lr"] == 0.01 and settings["resume"] == str(checkpointed) and settings["epochs"] == 5
    assert "sgd lr 0.01" in capsys.readouterr().out


def test_hdf5_external_link(h5_data: Path, tmp_path: Path, capsys) -> None:
    path = h5_data / "train_catvnoncat.h5"
    with h5py.File(path, "a") as f:
        del f["train_set_x"]
        f["train_set_x"] = h5py.ExternalLink("elsewhere.h5", "/x")
    assert main(["train", "--data", str(h5_data), "--iterations", "2", "--out", str(tmp_path / "o")]) == 2
    one_error_line(capsys)
    assert not (tmp_path / "o").exists()


def huge_npz(path: Path) -> Path:
    """An .npz whose 0.weight header claims a (2**40,) float64 array (8 TiB) over a few bytes."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }"
    header += " " * (118 - len(header)) + "\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + b"\0" * 64
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("0.weight.npy", npy)
        z.writestr("0.bias.npy", b"")
    return path


def test_npz_claiming_8_tib(h5_data: Path, tmp_path: Path, capsys) -> None:
    weights = huge_npz(tmp_path / "huge.npz")
    assert main(["evaluate", "--weights", str(weights), "--data", str(h5_data)]) == 2
    one_error_line(capsys, str(weights))


def test_nan_weights_name_the_file(h5_data: Path, tmp_path: Path, capsys) -> None:
    from models.cat import mlp

    model = mlp([12288, 3, 1])
    model[0].weight.data[0, 0] = np.nan
    weights = tmp_path / "nan.npz"
    tnp.save(model, weights)
    assert main(["evaluate", "--weights", str(weights), "--data", str(h5_data)]) == 2
    one_error_line(capsys, str(weights), "0.weight", "NaN")
    image = tmp_path / "x.png"
    from PIL import Image

    Image.new("RGB", (8, 8)).save(image)
    assert main(["predict", "--weights", str(weights), str(image)]) == 2
    one_error_line(capsys, str(weights), "NaN")


def test_bad_seed_names_the_option(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["train", "--seed", "-1"])
    assert info.value.code == 2
    assert (
        "argument --seed: --seed must be an integer from 0 to 2**32 - 1, got '-1'" in capsys.readouterr().err
    )


def test_unwritable_output_folder_is_found_before_training(h5_data: Path, tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    argv = ["train", "--data", str(h5_data), "--iterations", "2"]
    assert main([*argv, "--out", str(blocker / "run")]) == 2
    one_error_line(capsys, str(blocker / "run"), "cannot write the output folder")
    assert "Cost after" not in capsys.readouterr().out
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o555)
    try:
        if os.access(readonly, os.W_OK):
            pytest.skip("running as root: a read-only folder is still writable here")
        assert main([*argv, "--out", str(readonly / "run")]) == 2
        one_error_line(capsys, "cannot write the output folder")
    finally:
        readonly.chmod(0o755)


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_failed_runs_leave_no_empty_runs_folder(h5_data: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--data", str(h5_data), "--iterations", "2", "--init", "he", "--lr", "1e300"]
    assert main(argv) == 2
    one_error_line(capsys)
    assert not (tmp_path / "runs").exists()  # neither the run folder nor runs/ itself
