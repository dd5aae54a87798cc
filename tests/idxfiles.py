"""Small IDX files for the Fashion-MNIST tests, in the real files' format (gzip-compressed or raw)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    """The IDX encoding of a uint8 array: magic 0x0000080N, N big-endian uint32 sizes, the bytes."""
    a = np.ascontiguousarray(array, dtype=np.uint8)
    magic = 0x00000800 + a.ndim if magic is None else magic
    return magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in a.shape) + a.tobytes()


def write_idx(path: Path, data: bytes, gz: bool | None = None) -> Path:
    """Write ``data`` to ``path``, gzip-compressed when ``gz`` (default: when the name ends in .gz)."""
    gz = path.suffix == ".gz" if gz is None else gz
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def synthetic_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 28, 28) uint8 and labels (n,) in 0..9: class k is a bright bar at row 2k+4, so a
    small model can learn it, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    rng.shuffle(labels)
    images = rng.integers(0, 60, size=(n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(labels):
        images[i, 2 * k + 4 : 2 * k + 6, 4:24] = 230
    return images, labels.astype(np.uint8)


def write_fashion_folder(folder: Path, n_train: int = 200, n_test: int = 50, gz: bool = True) -> Path:
    """A folder with the four Fashion-MNIST files holding synthetic data; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, n, seed in (("train", n_train, 0), ("test", n_test, 1)):
        images, labels = synthetic_split(n, seed)
        suffix = ".gz" if gz else ""
        write_idx(folder / (NAMES[split][0] + suffix), idx_bytes(images), gz)
        write_idx(folder / (NAMES[split][1] + suffix), idx_bytes(labels), gz)
    return folder
