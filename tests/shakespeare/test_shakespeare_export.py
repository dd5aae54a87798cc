"""``python -m models.shakespeare export``: the trained GPT as ONNX, run by onnxruntime on token ids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shakespeare_text import TINY

import tinygrad_np as tnp
from models.shakespeare.cli import main
from models.shakespeare.export_cmd import GPTLogits
from models.shakespeare.files import load_weights

QUICK = [*TINY, "--iterations", "3", "--eval-interval", "3", "--eval-iters", "1"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_export_gives_the_logits_onnxruntime_computes(text_file: Path, tmp_path: Path, capsys, dtype) -> None:
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    out = tmp_path / "run"
    assert main(["train", "--data", str(text_file), "--out", str(out), "--dtype", dtype, *QUICK]) == 0
    onnx_file = tmp_path / "gpt.onnx"
    assert main(["export", "--weights", str(out / "weights.npz"), "--onnx", str(onnx_file)]) == 0
    printed = capsys.readouterr().out
    assert "Checked with onnxruntime" in printed
    gpt, _ = load_weights(out / "weights.npz")
    t, v = gpt.config.block_size, gpt.config.vocab_size
    ids = np.random.default_rng(5).integers(0, v, (3, t))
    got = ort.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"]).run(None, {"input": ids})[0]
    with tnp.no_grad():
        want = GPTLogits(gpt)(tnp.Tensor(ids)).data
    assert got.shape == (3, t, v) and got.dtype == np.dtype(dtype)
    # float64's exact GELU runs its Erf in float32 in onnxruntime (no float64 Erf kernel)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(want[:, -1:], gpt(ids)[0].data, rtol=1e-6, atol=1e-7)  # = the model's last row


def test_export_errors_are_one_line(text_file: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["train", "--data", str(text_file), "--out", str(out), *QUICK]) == 0
    capsys.readouterr()
    assert main(["export", "--weights", str(out / "weights.npz"), "--onnx", str(tmp_path / "g.onnx"),
                 "--time", "1000"]) == 2  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --time must be at most the model's block_size")
    assert main(["export", "--weights", str(tmp_path / "missing.npz"), "--onnx", str(tmp_path / "g.onnx")]) == 2
    assert capsys.readouterr().err.count("error:") == 1
    assert not (tmp_path / "g.onnx").exists()


def test_export_without_onnx_or_onnxruntime(text_file: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    """No onnx: one error line saying what to install (run_command's rule for every command); no
    onnxruntime: the file is written and the check says it was not run."""
    import sys

    from models.onnx_check import NOT_INSTALLED

    pytest.importorskip("onnx")
    out = tmp_path / "run"
    assert main(["train", "--data", str(text_file), "--out", str(out), *QUICK]) == 0
    capsys.readouterr()
    args = ["export", "--weights", str(out / "weights.npz"), "--onnx", str(tmp_path / "g.onnx")]
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    assert main(args) == 0
    assert capsys.readouterr().out.splitlines()[-1] == NOT_INSTALLED
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "pip install" in err[0]
