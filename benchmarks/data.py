"""Data for the benchmarks: the cat / non-cat training set, or random data of the same shape."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

CAT_SHAPE = (209, 64, 64, 3)  # train_set_x of train_catvnoncat.h5, uint8


def load_cat(dtype: Any = np.float64, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """``(x, y, source)``: x is (209, 12288) in [0, 1] (one sample per row, C-contiguous), y is (209,).

    Reads ``$TINYGRAD_NP_DATA/train_catvnoncat.h5`` with the project's checked reader (the training file
    only, as the course's training loop uses); otherwise random uint8 pixels of the same shape, scaled
    the same way, with random 0/1 labels. ``source`` says which.
    """
    dtype = np.dtype(dtype)
    pixels, labels, source = None, None, ""
    root = os.environ.get("TINYGRAD_NP_DATA")
    path = Path(root) / "train_catvnoncat.h5" if root else None
    if path is not None and path.is_file():
        try:
            from tinygrad_np.data.datasets.catvnoncat import read_h5

            pixels, labels, _ = read_h5(path, "train")
            source = f"cat data ({path})"
        except (ImportError, ValueError) as e:
            source = f"random data (could not read {path}: {e})"
    if pixels is None:
        rng = np.random.default_rng(seed)
        pixels = rng.integers(0, 256, size=CAT_SHAPE, dtype=np.uint8)
        labels = rng.integers(0, 2, size=CAT_SHAPE[0])
        source = source or "random data of the cat data's shape (TINYGRAD_NP_DATA not set or no file)"
    x = pixels.reshape(len(pixels), -1).astype(dtype)  # the course's flatten, one row per image
    x /= 255  # in place: no second image-sized array
    return x, np.asarray(labels, dtype=dtype).reshape(-1), source


def random_minibatch_data(
    n: int = 8192, features: int = 3072, dtype: Any = np.float32, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: x (n, features) standard normal, y (n,) random 0/1 labels."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features), dtype=np.float32).astype(dtype, copy=False)
    y = rng.integers(0, 2, size=n).astype(dtype)
    return x, y
