"""Every ```python block of README.md and docs/*.md runs as written, each on its own (self-contained),
in a fresh folder, so the documentation stays true. Long loops are shortened (SPEEDUPS); blocks that
load the cat data skip when it is absent."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Pages whose blocks form one walk-through on a model their own test provides (not self-contained yet).
TESTED_ELSEWHERE = {"export.md": "tests/export/test_export_docs.py"}
DOCS = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name not in TESTED_ELSEWHERE),
]
# Same code, fewer steps: the README shows the course's full runs.
SPEEDUPS = {"range(2500)": "range(3)", "iterations=2500": "iterations=3", "epochs=100,": "epochs=3,"}
# The clone's folder, which blocks run outside it put on sys.path (models/ is not installed with the library).
CLONE = {'"path/to/tinygrad_np"': repr(str(ROOT))}


def python_blocks() -> list[tuple[str, str]]:
    """(id "FILE:LINE", code) of every ```python block."""
    blocks = []
    for doc in DOCS:
        text = doc.read_text()
        for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M):
            line = text.count("\n", 0, match.start()) + 1
            blocks.append((f"{doc.name}:{line}", match.group(1)))
    return blocks


def has_real_data() -> bool:
    data_dir = os.environ.get("TINYGRAD_NP_DATA")
    return bool(data_dir) and (Path(data_dir) / "train_catvnoncat.h5").is_file()


def shortened(code: str) -> str:
    """The block with SPEEDUPS applied and the clone's placeholder path replaced by this clone."""
    for old, new in {**SPEEDUPS, **CLONE}.items():
        code = code.replace(old, new)
    return code


def run_block(name: str, code: str) -> dict:
    if "load_dataset(" in code and not has_real_data():
        pytest.skip("real cat data absent: set TINYGRAD_NP_DATA to a folder with the two .h5 files")
    code = shortened(code)
    namespace: dict = {"__name__": "__readme__"}
    exec(compile(code, name, "exec"), namespace)
    return namespace


def test_there_are_blocks() -> None:
    assert len(python_blocks()) >= 4


@pytest.mark.parametrize(("name", "code"), python_blocks(), ids=[n for n, _ in python_blocks()])
def test_block_runs_as_written(name: str, code: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # blocks that save (runs/...) write into a fresh folder
    monkeypatch.setenv("MPLBACKEND", "Agg")
    run_block(name, code)


def test_first_example_trains_the_deep_model(tmp_path: Path, monkeypatch, capsys) -> None:
    name, code = python_blocks()[0]
    assert "range(2500)" in code
    monkeypatch.chdir(tmp_path)
    namespace = run_block(name, code)
    assert isinstance(namespace["loss"], float)
    assert all(p.grad is not None for p in namespace["model"].parameters())
    assert "Total params: 245,973" in capsys.readouterr().out


def test_the_from_python_block_runs_in_a_fresh_python_outside_the_clone(tmp_path: Path) -> None:
    """As a learner's script in another folder: its own interpreter, no PYTHONPATH, no pytest sys.path."""
    import subprocess
    import sys

    (name, code), *_ = [(n, c) for n, c in python_blocks() if "from models.cat import deep_model" in c]
    if not has_real_data():
        pytest.skip("real cat data absent: set TINYGRAD_NP_DATA to a folder with the two .h5 files")
    (tmp_path / "script.py").write_text(shortened(code) + "\nprint(len(costs), float(costs[-1]))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "script.py"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, f"{name}: {out.stderr[-2000:]}"
    assert out.stdout.splitlines()[-1].split()[0] == "3"  # iterations=2500 shortened to 3
