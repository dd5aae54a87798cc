"""Fixtures shared by the cat command-line tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from datafiles import write_cat_h5


@pytest.fixture
def h5_data(tmp_path: Path) -> Path:
    """A folder with small train/test_catvnoncat.h5 files of random 64×64 images (6 and 4)."""
    return write_cat_h5(tmp_path / "h5")
