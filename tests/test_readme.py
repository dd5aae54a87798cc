"""The README's example runs as written (with fewer steps), so the README stays true."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def _first_python_block() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README.md has no ```python block"
    return blocks[0]


def test_readme_example_runs(capsys) -> None:
    data_dir = os.environ.get("TINYGRAD_NP_DATA")
    if not data_dir or not (Path(data_dir) / "train_catvnoncat.h5").is_file():
        pytest.skip("real cat data absent: set TINYGRAD_NP_DATA to a folder with the two .h5 files")
    code = _first_python_block()
    assert "range(2500)" in code
    namespace: dict = {}
    exec(compile(code.replace("range(2500)", "range(3)"), str(README), "exec"), namespace)
    assert isinstance(namespace["loss"], float)
    assert all(p.grad is not None for p in namespace["model"].parameters())
    assert "Total params: 245,973" in capsys.readouterr().out
