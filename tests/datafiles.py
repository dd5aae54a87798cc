"""Where the tests find the real data, and the one marker for tests that need it.

``TINYGRAD_NP_DATA`` points at a folder holding the course's two .h5 files (and fashion-mnist/).
Tests that need the real cat data use ``@needs_cat_data``; they skip with the reason when it is absent
(CI sets the variable, so there they run).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(os.environ.get("TINYGRAD_NP_DATA", "/nonexistent"))
CAT_FILES = ("train_catvnoncat.h5", "test_catvnoncat.h5")


def has_cat_data() -> bool:
    return all((DATA / name).is_file() for name in CAT_FILES)


needs_cat_data = pytest.mark.skipif(
    not has_cat_data(),
    reason="real cat data absent: set TINYGRAD_NP_DATA to a folder with train_catvnoncat.h5 and test_catvnoncat.h5",
)

FASHION = DATA / "fashion-mnist"
FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def has_fashion_data() -> bool:
    return all((FASHION / name).is_file() for name in FASHION_FILES)


needs_fashion_data = pytest.mark.skipif(
    not has_fashion_data(),
    reason="real Fashion-MNIST absent: set TINYGRAD_NP_DATA to a folder with fashion-mnist/ holding the four .gz files",
)

SHAKESPEARE = DATA / "tinyshakespeare" / "input.txt"


def has_shakespeare_data() -> bool:
    return SHAKESPEARE.is_file()


needs_shakespeare_data = pytest.mark.skipif(
    not has_shakespeare_data(),
    reason="real Tiny Shakespeare absent: set TINYGRAD_NP_DATA to a folder with tinyshakespeare/input.txt",
)


def write_cat_h5(root: Path, train: int = 6, test: int = 4) -> Path:
    """``root``/train_ and test_catvnoncat.h5 with ``train`` and ``test`` random 64x64 RGB pictures
    (labels alternating non-cat, cat), made for a test; skips without h5py. Returns ``root``."""
    h5py = pytest.importorskip("h5py", reason="h5py missing: pip install -e '.[cat]'")
    import numpy as np

    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for split, m in (("train", train), ("test", test)):
        with h5py.File(root / f"{split}_catvnoncat.h5", "w") as f:
            f[f"{split}_set_x"] = rng.integers(0, 256, (m, 64, 64, 3), dtype=np.uint8)
            f[f"{split}_set_y"] = np.arange(m) % 2
            f["list_classes"] = np.array([b"non-cat", b"cat"])
    return root
