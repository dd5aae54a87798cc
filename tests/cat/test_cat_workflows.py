"""The course's workflows through ``python -m models.cat``: the PNG-cats / JPEG-non-cats variant checked
against a hand-written course-style NumPy implementation, every --label-by rule, pictures of
predictions, and the command line's polish (help, --version, conflicting options, Ctrl-C)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("h5py", reason="h5py missing: pip install -e '.[cat]'")
Image = pytest.importorskip("PIL.Image", reason="Pillow missing: pip install -e '.[cat]'")
pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")

from course_transcription import course_style  # noqa: E402
from processes import interrupt_at  # noqa: E402

from models.cat.cli import build_parser, main  # noqa: E402
from tinygrad_np.data.datasets import load_image  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"


def picture(path: Path, cat: bool, size=(40, 30)) -> Path:
    """Cats reddish, non-cats bluish; the format follows the path's extension."""
    rng = np.random.default_rng(zlib.crc32(str(path.name).encode()))
    arr = rng.integers(0, 90, (size[1], size[0], 3), dtype=np.uint8)
    arr[..., 0 if cat else 2] += 150
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


@pytest.fixture
def variant(tmp_path: Path) -> Path:
    """The variant's layout: train/ and test/, PNG = cat, JPEG = non-cat, names that say nothing."""
    root = tmp_path / "variant"
    for split, n in (("train", 5), ("test", 3)):
        for i in range(n):
            picture(root / split / f"img{i}.png", True)
            picture(root / split / f"img{i + n}.jpg", False)
    return root


# --- the reference variant, against the course's own arithmetic (course_transcription.py) ------


def test_reference_variant_matches_the_course_arithmetic(variant: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    argv = ["train", "--data", str(variant), "--label-by", "extension", "--layers", "12288,12,4,1"]
    argv += ["--init", "course", "--init-scale", "0.01", "--seed", "3", "--lr", "0.075"]
    assert main([*argv, "--iterations", "40", "--print-every", "10", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Classes: train 5 cat + 5 non-cat, test 3 cat + 3 non-cat (labelled by extension)" in printed
    costs, (train_acc, test_acc), params = course_style(variant, [12288, 12, 4, 1], 0.075, 40, 3)
    metrics = json.loads((out / "metrics.json").read_text())
    np.testing.assert_allclose(metrics["costs"], costs, rtol=1e-12, atol=0)
    assert metrics["costs"][-1] < metrics["costs"][0]  # it learns something
    assert metrics["train"]["accuracy"] == train_acc and metrics["test"]["accuracy"] == test_acc
    assert f"Cost after iteration 10: {metrics['costs'][10]}" in printed
    from tinygrad_np import load

    weights = load(out / "weights.npz")
    for k, key in enumerate(("0", "2", "4"), start=1):
        np.testing.assert_allclose(weights[f"{key}.weight"], params[f"W{k}"], rtol=1e-9, atol=1e-15)
    assert (out / "test_picture.png").read_bytes()[:8] == PNG
    assert metrics["settings"]["layer_sizes"] == [12288, 12, 4, 1]
    assert metrics["settings"]["init_scale"] == 0.01 and metrics["settings"]["label_by"] == "extension"


def test_layers_must_fit_the_data(variant: Path, tmp_path: Path, capsys) -> None:
    argv = ["train", "--data", str(variant), "--label-by", "extension", "--out", str(tmp_path / "o")]
    assert main([*argv, "--layers", "100,4,1", "--iterations", "2"]) == 2
    err = capsys.readouterr().err
    assert "--layers: the input size must match the data's 12288 features" in err and "got 100" in err
    assert not (tmp_path / "o").exists()
    for bad in ("12288", "12288,0,1", "12288,4,2", "a,b"):
        with pytest.raises(SystemExit):
            main(["train", "--layers", bad])
    assert "--layers" in capsys.readouterr().err


# --- labelling rules -----------------------------------------------------------------------------


def test_extension_labels_and_the_name_rule_would_be_one_class(variant: Path, tmp_path, capsys) -> None:
    """Named img*.png / img*.jpg, the name rule sees no cat at all: an error, never a silent 100%."""
    argv = ["train", "--data", str(variant), "--iterations", "2", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "every train image is labelled non-cat" in err and "train 0 cat + 10 non-cat" in err
    assert "--label-by auto" in err
    assert not (tmp_path / "o").exists()


def test_name_rule_on_misleading_names(tmp_path: Path, capsys) -> None:
    root = tmp_path / "named"
    cats = ["cat12.jpg", "my_cat.png", "kitten.jpg", "BigCat.png"]
    noncats = ["caterpillar.jpg", "noncat3.png", "non-cat_7.jpg", "dog.png"]
    for split in ("train", "test"):
        for name in cats:
            picture(root / split / name, True)
        for name in noncats:
            picture(root / split / name, False)
    out = tmp_path / "o"
    assert (
        main(["train", "--data", str(root), "--label-by", "name", "--iterations", "2", "--out", str(out)])
        == 0
    )
    assert "train 4 cat + 4 non-cat, test 4 cat + 4 non-cat (labelled by name)" in capsys.readouterr().out
    from tinygrad_np.data.datasets import load_image_folder

    data = load_image_folder(root, label_by="name")
    labels = dict(zip(data.names_train, data.y_train[:, 0], strict=True))
    assert {n for n, y in labels.items() if y == 1} == {f"train/{n}" for n in cats}


def test_folder_rule_and_nested_folders(tmp_path: Path, capsys) -> None:
    root = tmp_path / "folders"
    for split in ("train", "test"):
        picture(root / split / "cat" / "x.png", True)
        picture(root / split / "non-cat" / "y.png", False)
    out = tmp_path / "o"
    argv = ["train", "--data", str(root), "--label-by", "folder", "--iterations", "2", "--model", "two-layer"]
    assert main([*argv, "--out", str(out)]) == 0
    assert "train 1 cat + 1 non-cat" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["misclassified_test"]) <= {"test/cat/x.png", "test/non-cat/y.png"}
    # a loose image with --label-by folder, and an image nested deeper than cat/: errors naming them
    picture(root / "train" / "cat" / "2019" / "deep.png", True)
    assert main([*argv, "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    cat = root / "train" / "cat"
    assert err == (
        f"error: {cat}: its images (nested images are never skipped) must sit directly in it, got the sub-folder "
        "2019/; move them up\n"
    )
    (root / "train" / "cat" / "2019" / "deep.png").unlink()
    (root / "train" / "cat" / "2019").rmdir()
    picture(root / "train" / "loose.png", True)
    assert main([*argv, "--out", str(tmp_path / "o3")]) == 2
    assert capsys.readouterr().err == (
        f"error: {root / 'train' / 'loose.png'}: the image must be in cat/ or non-cat/ with --label-by folder, got "
        "one directly in train/; move it into one of them or use --label-by name or extension\n"
    )


def test_extension_rule_is_configurable_and_strict(tmp_path: Path, capsys) -> None:
    root = tmp_path / "ext"
    for split in ("train", "test"):
        picture(root / split / "a.bmp", True)
        picture(root / split / "b.jpg", False)
    argv = ["train", "--data", str(root), "--label-by", "extension", "--iterations", "2"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err == (
        f"error: {root / 'train' / 'a.bmp'}: the file's extension must be a cat one (.png) or a non-cat one "
        "(.jpg, .jpeg) to label it by extension, got .bmp\n"
    )
    assert main([*argv, "--cat-extensions", "bmp,png", "--out", str(tmp_path / "o")]) == 0


def test_float_tiff_is_not_black(tmp_path: Path) -> None:
    ramp = np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)
    Image.fromarray(ramp, mode="F").save(tmp_path / "f.tif")
    image = load_image(tmp_path / "f.tif")
    assert image.dtype == np.uint8 and image.max() == 255 and abs(image.mean() - 127.5) < 2
    Image.fromarray(ramp * 1000, mode="F").save(tmp_path / "big.tif")
    from tinygrad_np.data.datasets import ImageLoadError

    with pytest.raises(
        ImageLoadError,
        match=r"big\.tif: the F-mode image's values must lie in \[0, 1\] or \[0, 255\], got the range \[0, 1000\]; "
        r"convert it to 8-bit RGB first$",
    ):
        load_image(tmp_path / "big.tif")


# --- pictures --------------------------------------------------------------------------------------


@pytest.fixture
def trained(variant: Path, tmp_path: Path) -> Path:
    out = tmp_path / "trained"
    argv = ["train", "--data", str(variant), "--label-by", "extension", "--model", "two-layer"]
    assert main([*argv, "--iterations", "20", "--lr", "0.05", "--out", str(out), "--checkpoint"]) == 0
    return out


def test_evaluate_show_and_predict_grid(trained: Path, variant: Path, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    target = tmp_path / "pics" / "t2.png"
    weights = str(trained / "weights.npz")
    argv = ["evaluate", "--weights", weights, "--data", str(variant), "--label-by", "extension"]
    assert main([*argv, "--show", "2", "--picture", str(target)]) == 0
    out = capsys.readouterr().out
    assert "Test picture 2 (test/img2.png): This is a cat image / You predicted: " in out
    assert target.read_bytes()[:8] == PNG
    assert main([*argv, "--show", "99"]) == 2
    assert "--show must be below the 6 test images" in capsys.readouterr().err
    grid = tmp_path / "grid.png"
    photos = [str(variant / "test" / "img0.png"), str(variant / "test" / "img3.jpg")]
    assert main(["predict", "--weights", weights, "--grid", str(grid), *photos]) == 0
    assert grid.read_bytes()[:8] == PNG and f"Wrote {grid} (2 pictures)" in capsys.readouterr().out


def test_cost_curve_marks_an_interrupted_run(tmp_path: Path) -> None:
    from models.cat.plots import caption, save_cost_curve

    save_cost_curve([0.7, 0.6, 0.5], tmp_path / "a.png", title="t", interrupted=True)
    save_cost_curve([0.7, 0.6, 0.5], tmp_path / "b.png", title="t")
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b.png").read_bytes()
    assert caption(1, 0.48) == "This is a cat image\nYou predicted: non-cat (P = 0.48)"
    assert caption(None, 0.9) == "You predicted: cat (P = 0.90)"


# --- the command line ------------------------------------------------------------------------------


def test_every_subcommand_and_argument_has_help(capsys) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and "train" in a.choices)
    for name, sub in subparsers.choices.items():
        assert sub.description, name
        for action in sub._actions:
            assert action.help, (name, action.dest)
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and "tinygrad_np 0.2.0" in capsys.readouterr().out


def test_conflicting_options_are_rejected(variant: Path, tmp_path: Path, capsys) -> None:
    base = ["train", "--data", str(variant), "--label-by", "extension", "--out", str(tmp_path / "o")]
    for extra, message in (
        (["--iterations", "10", "--epochs", "5"], "give --iterations or --epochs, not both"),
        (["--iterations", "10", "--batch-size", "4"], "with --batch-size give --epochs"),
        (["--model", "deep", "--layers", "12288,1"], "give --model (a preset) or --layers"),
        (["--init", "he", "--init-scale", "0.1"], "--init-scale is for --init course or normal"),
    ):
        assert main(base + extra) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    for flag, value in (("--seed", "-1"), ("--seed", "x"), ("--lr", "nan"), ("--momentum", "-1")):
        with pytest.raises(SystemExit) as info:
            main(["train", flag, value])
        assert info.value.code == 2 and f"argument {flag}: {flag} must" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_exits_130_with_a_resume_hint(variant: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["train", "--data", str(variant), "--label-by", "extension", "--model", "two-layer"]
    args += ["--iterations", "1000000", "--print-every", "1", "--checkpoint", "--out", str(out)]
    code, stdout, stderr = interrupt_at("models.cat", args, "Cost after iteration 3:")
    assert code == 130, stderr
    assert "Interrupted after" in stdout
    assert f"--resume {out / 'checkpoint.npz'}" in stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["settings"]["stop_reason"] == "interrupted"
    assert (out / "cost_curve.png").is_file() and (out / "checkpoint.npz").is_file()


def test_progress_bar_counts_iterations(capsys) -> None:
    pytest.importorskip("tqdm")
    from models.cat import mlp
    from models.cat.train import train

    x = np.random.default_rng(0).random((6, 4))
    train(mlp([4, 3, 1]), x, (x[:, :1] > 0.5) * 1.0, epochs=3, progress=True, print_every=0)
    err = capsys.readouterr().err
    assert "3/3" in err and "iteration" in err and "epoch" not in err
