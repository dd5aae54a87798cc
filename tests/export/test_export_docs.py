"""docs/export.md's Python examples run as written, on a cat-shaped model, so the text stays true."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tnp
from models.cat.model import deep_model, predict_proba

pytest.importorskip("onnx", reason="onnx missing: pip install -e '.[onnx]'")
pytest.importorskip("onnxruntime", reason="onnxruntime missing: pip install -e '.[onnx]'")
pytest.importorskip("torch", reason="PyTorch missing: pip install torch")

DOC = Path(__file__).resolve().parents[2] / "docs" / "export.md"


def test_the_examples_run(tmp_path, monkeypatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 3
    monkeypatch.chdir(tmp_path)
    model = deep_model(init="he", seed=0)
    x = np.random.default_rng(0).random((5, 12288))
    ns: dict = {"tnp": tnp, "model": model, "x": x}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), ns)
    np.testing.assert_allclose(ns["p_cat"], predict_proba(model, x), rtol=0, atol=1e-12)
    assert ns["model"] is not model  # the last block brought a new model back from PyTorch
    np.testing.assert_array_equal(ns["model"](x), model(x))
