"""``python -m models.fashion export``: a trained model's weights as an ONNX file, checked in onnxruntime."""

import numpy as np
import pytest

from models.fashion import model as fm
from models.fashion.cli import main


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_export_writes_a_checked_onnx_file(tmp_path, capsys, kind):
    onnx = pytest.importorskip("onnx", reason="onnx missing: pip install -e '.[onnx]'")
    kwargs = {"channels": (2, 4), "hidden": (6,)} if kind == "cnn" else {"hidden": (8,)}
    model = fm.MODELS[kind](**kwargs, dtype=np.float32)
    weights = tmp_path / "weights.npz"
    model.save(weights)
    out = tmp_path / "m.onnx"
    assert main(["export", "--weights", str(weights), "--onnx", str(out)]) == 0
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    text = capsys.readouterr().out
    assert "(batch, 1, 28, 28) float32" in text and "(batch, 10) logits" in text
    if pytest.importorskip("onnxruntime", reason="onnxruntime missing"):
        diff = float(text.split("max |difference| ")[1].split()[0])
        assert diff < 1e-4


def test_export_of_a_missing_file_is_one_error_line(tmp_path, capsys):
    assert main(["export", "--weights", str(tmp_path / "nope.npz"), "--onnx", str(tmp_path / "m.onnx")]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
