"""``python -m models.shakespeare``: train (tiny), sample, evaluate, Ctrl-C and --resume, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from processes import interrupt_at
from shakespeare_text import TINY

from models.shakespeare.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
QUICK = [*TINY, "--iterations", "6", "--eval-interval", "3", "--eval-iters", "2"]


def test_train_sample_evaluate(text_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["train", "--data", str(text_file), "--out", str(out), *QUICK]) == 0
    printed = capsys.readouterr().out
    assert "step 0: train loss" in printed and "step 6: train loss" in printed
    val = json.loads((out / "metrics.json").read_text())["val_loss"]
    assert f"val loss {val:.4f}\n" in printed and " s of training)" in printed
    assert {p.name for p in out.iterdir()} >= {"weights.npz", "metrics.json"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["settings"]["stop_reason"] == "completed" and len(metrics["losses"]) == 6
    assert [e["step"] for e in metrics["evals"]] == [0, 3, 6]

    assert main(["sample", "--weights", str(out / "weights.npz"), "--prompt", "First", "--tokens", "30"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("First") and len(text) == len("First") + 30 + 1
    assert main(["sample", "--weights", str(out / "weights.npz"), "--prompt", "First", "--tokens", "30"]) == 0
    assert capsys.readouterr().out == text  # the same seed, the same text

    assert main(["evaluate", "--weights", str(out / "weights.npz"), "--data", str(text_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].startswith("val loss ") and lines[-2].startswith("train loss ")


def test_loss_curve_is_written(text_file: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib missing: pip install -e '.[cat]'")
    assert main(["train", "--data", str(text_file), "--out", str(tmp_path / "r"), *QUICK]) == 0
    assert (tmp_path / "r" / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_one_error_line(text_file: Path, tmp_path: Path, capsys) -> None:
    base = ["train", "--data", str(text_file), "--out", str(tmp_path / "o"), *QUICK]
    for extra, message in (
        (["--n-embd", "10", "--n-head", "4"], "error: --n-embd must be divisible by --n-head (4), got 10\n"),
        (["--min-lr", "1", "--lr", "0.1"], "error: --min-lr must be at most --lr (0.1), got 1.0\n"),
        (
            ["--block-size", "5000"],
            "error: get_batch: the text must be longer than the context of 5000 tokens",
        ),
    ):
        assert main(base + extra) == 2
        err = capsys.readouterr().err
        assert err.startswith(message) and err.count("\n") == 1, err
    assert not (tmp_path / "o").exists()  # a failed run leaves no empty run folder behind
    assert main(["train", "--data", str(tmp_path / "nowhere"), *QUICK]) == 2
    assert "the text file must exist" in capsys.readouterr().err
    assert main(["sample", "--weights", str(tmp_path / "missing.npz")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    for flag, value in (("--seed", "-1"), ("--lr", "nan"), ("--iterations", "0")):
        with pytest.raises(SystemExit) as info:
            main(["train", flag, value])
        assert info.value.code == 2


def test_prompt_outside_the_vocabulary_is_an_error(text_file: Path, tmp_path: Path, capsys) -> None:
    assert main(["train", "--data", str(text_file), "--out", str(tmp_path / "r"), *QUICK]) == 0
    capsys.readouterr()
    weights = str(tmp_path / "r" / "weights.npz")
    assert main(["sample", "--weights", weights, "--prompt", "Zounds"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("error: --prompt: every character must be in the model's vocabulary") and "'Z'" in err
    )
    assert main(["sample", "--weights", weights, "--prompt", ""]) == 2


def test_every_argument_has_help() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and "train" in a.choices)
    for name, sub in subparsers.choices.items():
        assert sub.description, name
        for action in sub._actions:
            assert action.help, (name, action.dest)


@pytest.mark.slow
def test_ctrl_c_exits_130_and_resume_finishes_the_same_run(text_file: Path, tmp_path: Path) -> None:
    """A real Ctrl-C in a subprocess: exit 130 with the hint; --resume then ends where an uninterrupted
    run ends, bit for bit."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["train", "--data", str(text_file), *TINY, "--iterations", "300", "--eval-interval", "100"]
    args += ["--eval-iters", "2"]
    whole = tmp_path / "whole"
    subprocess.run([sys.executable, "-m", "models.shakespeare", *args, "--out", str(whole)], cwd=ROOT, env=env,
                   check=True, capture_output=True)  # fmt: skip
    out = tmp_path / "run"
    code, stdout, stderr = interrupt_at("models.shakespeare", [*args, "--out", str(out), "--checkpoint"], "step 100:")
    assert code == 130, stderr
    assert "Interrupted after" in stdout and f"--resume {out / 'checkpoint.npz'}" in stderr
    assert json.loads((out / "metrics.json").read_text())["settings"]["stop_reason"] == "interrupted"
    assert main([*args, "--out", str(out), "--resume", str(out / "checkpoint.npz")]) == 0
    a = json.loads((out / "metrics.json").read_text())
    b = json.loads((whole / "metrics.json").read_text())
    assert a["losses"] == b["losses"] and a["evals"] == b["evals"]
    wa, wb = np.load(out / "weights.npz"), np.load(whole / "weights.npz")
    assert all(np.array_equal(wa[k], wb[k]) for k in wb.files)
