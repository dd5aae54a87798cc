"""Fixtures shared by the cat command-line tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def h5_data(tmp_path: Path) -> Path:
    """A folder with small train/test_catvnoncat.h5 files of random 64×64 images (6 and 4)."""
    h5py = pytest.importorskip("h5py", reason="h5py missing: pip install -e '.[cat]'")
    root = tmp_path / "h5"
    root.mkdir()
    rng = np.random.default_rng(1)
    for split, m in (("train", 6), ("test", 4)):
        with h5py.File(root / f"{split}_catvnoncat.h5", "w") as f:
            f[f"{split}_set_x"] = rng.integers(0, 256, (m, 64, 64, 3), dtype=np.uint8)
            f[f"{split}_set_y"] = np.arange(m) % 2
            f["list_classes"] = np.array([b"non-cat", b"cat"])
    return root
