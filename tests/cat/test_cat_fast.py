"""The cat command's default runs do the notebook's arithmetic; ``--fast`` (fit's fast path) is an explicit
choice, the same arithmetic up to rounding, and without it the command says that it exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("h5py", reason="h5py missing: pip install -e '.[cat]'")
Image = pytest.importorskip("PIL.Image", reason="Pillow missing: pip install -e '.[cat]'")
pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")

from course_transcription import course_style  # noqa: E402

from models.cat.cli import main  # noqa: E402
from tinygrad_np import load  # noqa: E402
from tinygrad_np.train import fastpath  # noqa: E402

SEED, ITERATIONS, LR = 1, 250, 0.075  # default path ~5e-15 from the transcription here, --fast ~7e-14


def photo(path: Path, rng: np.random.Generator) -> None:
    """A 64×64 mosaic of 4×4 random colour patches: few independent pixels, like a photo's, so a wide
    first layer cannot just memorise the labels and the run at lr 0.075 oscillates."""
    grid = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.kron(grid, np.ones((16, 16, 1), dtype=np.uint8))).save(path)


@pytest.fixture(scope="module")
def mosaics(tmp_path_factory) -> Path:
    """The image-folder recipe's layout: train/ and test/, PNG = cat, JPEG = non-cat (random labels)."""
    root = tmp_path_factory.mktemp("mosaics")
    rng = np.random.default_rng(0)
    for split, n in (("train", 20), ("test", 4)):
        for i in range(n):
            photo(root / split / f"img{2 * i:02d}.png", rng)
            photo(root / split / f"img{2 * i + 1:02d}.jpg", rng)
    return root


def _train(root: Path, out: Path, *extra: str) -> int:
    argv = ["train", "--data", str(root), "--label-by", "extension", "--layers", "12288,12,4,1"]
    argv += ["--seed", str(SEED), "--lr", str(LR), "--iterations", str(ITERATIONS), "--print-every", "50"]
    return main([*argv, "--out", str(out), *extra])


@pytest.fixture(scope="module")
def reference(mosaics: Path):
    """The notebook's loop on the same files: (costs, [train accuracy, test accuracy], params)."""
    return course_style(mosaics, [12288, 12, 4, 1], LR, ITERATIONS, SEED, scale=None)


def test_the_default_run_is_the_notebooks_arithmetic(mosaics, reference, tmp_path, capsys, monkeypatch):
    entered = []
    enter = fastpath.FirstLayerInSampleSpace.__enter__
    monkeypatch.setattr(
        fastpath.FirstLayerInSampleSpace, "__enter__", lambda self: entered.append(1) or enter(self)
    )
    assert _train(mosaics, tmp_path / "run") == 0
    printed = capsys.readouterr().out
    assert not entered  # fit's fast path was not taken
    costs, (train_acc, test_acc), params = reference
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    np.testing.assert_allclose(metrics["costs"], costs, rtol=1e-12, atol=0)
    assert max(costs) - min(costs) > 0.1  # the run moves (and oscillates), it is not stuck at log 2
    assert metrics["train"]["accuracy"] == train_acc and metrics["test"]["accuracy"] == test_acc
    weights = load(tmp_path / "run" / "weights.npz")
    for k, key in enumerate(("0", "2", "4"), start=1):
        np.testing.assert_allclose(weights[f"{key}.weight"], params[f"W{k}"], rtol=1e-9, atol=1e-13)
    assert metrics["settings"]["fast"] is False and "--fast" not in printed.split("Model:")[1].splitlines()[0]
    hint = re.search(r"^hint: --fast trains this model with (\d+)x fewer multiply-adds per iteration "
                     r"\(same math up to rounding; see --help\)$", printed, re.M)  # fmt: skip
    rest = 3 * 40 * (12 * 4 + 4 * 1)  # the other layers' multiply-adds: forward, both gradients
    assert hint and int(hint.group(1)) == round((2 * 40 * 12288 * 12 + rest) / (40 * 40 * 12 + rest))
    assert printed.rstrip().endswith(hint.group(0))  # the last line


def test_fast_is_the_same_arithmetic_up_to_rounding(mosaics, reference, tmp_path, capsys):
    assert _train(mosaics, tmp_path / "fast", "--fast") == 0
    printed = capsys.readouterr().out
    costs, _, params = reference
    metrics = json.loads((tmp_path / "fast" / "metrics.json").read_text())
    np.testing.assert_allclose(metrics["costs"], costs, rtol=1e-9, atol=0)
    weights = load(tmp_path / "fast" / "weights.npz")
    np.testing.assert_allclose(weights["0.weight"], params["W1"], rtol=1e-6, atol=1e-10)
    # The course's cost lines, printed from the History when training ends, as the default run prints them.
    lines = re.findall(r"^Cost after iteration (\d+): (\S+)$", printed, re.M)
    assert [int(i) for i, _ in lines] == [*range(0, ITERATIONS, 50), ITERATIONS - 1]
    assert [float(c) for _, c in lines] == [metrics["costs"][int(i)] for i, _ in lines]
    assert ", --fast (first layer in sample space)" in printed and "hint:" not in printed
    assert metrics["settings"]["fast"] is True


@pytest.mark.parametrize(
    "extra", [["--batch-size", "8", "--epochs", "2"], ["--optimizer", "adam"], ["--checkpoint"]]
)
def test_fast_is_for_full_batch_sgd_without_checkpoints(mosaics, tmp_path, capsys, extra):
    argv = [
        "train",
        "--data",
        str(mosaics),
        "--label-by",
        "extension",
        "--fast",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main([*argv, *extra]) == 2
    err = capsys.readouterr().err
    assert "error: --fast trains full-batch sgd without --checkpoint" in err
    assert not (tmp_path / "o").exists()


def test_no_hint_where_fast_does_not_apply(mosaics, tmp_path, capsys):
    argv = ["train", "--data", str(mosaics), "--label-by", "extension", "--model", "two-layer"]
    assert main([*argv, "--epochs", "2", "--batch-size", "16", "--out", str(tmp_path / "o")]) == 0
    assert "hint:" not in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_fast_prints_the_cost_lines_of_a_run_that_diverged(mosaics, tmp_path, capsys):
    argv = ["train", "--data", str(mosaics), "--label-by", "extension", "--model", "two-layer", "--fast"]
    assert main([*argv, "--init", "he", "--lr", "1e300", "--iterations", "20", "--print-every", "1"]) == 2
    captured = capsys.readouterr()
    assert re.search(r"error: fit: the .+ must .+, got .+ at epoch \d+/20\b.*; training diverged\. ", captured.err)
    assert "Cost after iteration 0: " in captured.out  # the completed iterations, as the default prints


def test_fast_after_a_resume_prints_only_the_new_iterations(mosaics, tmp_path, capsys):
    base = [
        "train",
        "--data",
        str(mosaics),
        "--label-by",
        "extension",
        "--model",
        "two-layer",
        "--print-every",
        "1",
    ]
    assert main([*base, "--iterations", "3", "--checkpoint", "--out", str(tmp_path / "a")]) == 0
    capsys.readouterr()
    resume = ["--resume", str(tmp_path / "a" / "checkpoint.npz"), "--out", str(tmp_path / "b")]
    assert main([*base, "--iterations", "5", "--fast", *resume]) == 0
    printed = capsys.readouterr().out
    assert re.findall(r"^Cost after iteration (\d+):", printed, re.M) == ["3", "4"]
    straight = tmp_path / "c"
    assert main([*base, "--iterations", "5", "--out", str(straight)]) == 0
    costs = json.loads((straight / "metrics.json").read_text())["costs"]
    np.testing.assert_allclose(
        json.loads((tmp_path / "b" / "metrics.json").read_text())["costs"], costs, rtol=1e-12
    )
