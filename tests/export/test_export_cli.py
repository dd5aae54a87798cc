"""``python -m models.cat export``: the trained cat model as an ONNX file that onnxruntime runs."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tnp
from models.cat.cli import main
from models.cat.model import deep_model, predict_proba

onnx = pytest.importorskip("onnx", reason="onnx missing: pip install -e '.[onnx]'")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime missing: pip install -e '.[onnx]'")


@pytest.fixture
def weights(tmp_path):
    model = deep_model(init="he", seed=3)
    for p in model.parameters():
        p.data += np.random.default_rng(4).normal(0, 0.05, p.data.shape)
    path = tmp_path / "weights.npz"
    tnp.save(model, path)
    return path, model


@pytest.mark.parametrize("dtype", [None, "float32"])
def test_export_writes_a_file_onnxruntime_runs(weights, dtype, tmp_path, capsys) -> None:
    path, model = weights
    out = tmp_path / "cat.onnx"
    assert (
        main(["export", "--weights", str(path), "--onnx", str(out), *(["--dtype", dtype] if dtype else [])])
        == 0
    )
    printed = capsys.readouterr().out
    assert f"Wrote {out}" in printed and "Checked with onnxruntime" in printed
    onnx.checker.check_model(str(out), full_check=True)
    if dtype:
        model.to(dtype)
    x = np.random.default_rng(0).random((50, 12288)).astype(model.dtype)
    got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    tol = 1e-6 if dtype else 1e-12
    np.testing.assert_allclose(got, predict_proba(model, x), rtol=0, atol=tol)


def test_export_errors_are_one_line(tmp_path, capsys) -> None:
    assert main(["export", "--weights", str(tmp_path / "none.npz"), "--onnx", str(tmp_path / "m.onnx")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (tmp_path / "m.onnx").exists()
