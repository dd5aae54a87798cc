"""Fixtures of the shakespeare tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from shakespeare_text import TEXT


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    """A folder holding input.txt: the test text repeated 20 times."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "input.txt").write_text(TEXT * 20)
    return folder


@pytest.fixture
def torch1():
    """torch with one thread (the parity tests' tensors are tiny: threads only add waiting), restored after."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)
