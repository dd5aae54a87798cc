"""Fashion-MNIST (Zalando Research, MIT licence) from its four original IDX files, batch first.

    data = tnp.datasets.load_fashion_mnist()       # finds, or downloads and verifies, the files
    data.x_train.shape, data.y_train.shape         # (60000, 1, 28, 28) float32 in [0, 1], (60000,) int64
    flat(data.x_train).shape                       # (60000, 784): a view, for MLPs

Where the files come from, in order: an explicit folder (``data``; a ``fashion-mnist/`` sub-folder of it
is used when the folder itself holds no files), ``$TINYGRAD_NP_DATA/fashion-mnist/``, the user cache
(``$TINYGRAD_NP_CACHE/fashion-mnist``, else ``~/.cache/tinygrad_np/fashion-mnist`` on Linux) when it holds
verified files, otherwise a download checked against size and sha256 (``fetch.fetch``: all or nothing).

The files are IDX files (gzip-compressed or raw; read by :func:`.idx.read_idx`, which reads the header
first and never inflates more than it declares). Images have magic 0x00000803 (N, 28, 28), labels
0x00000801 (N,).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...validation import fail
from .fetch import DATA_ENV, URL_ENV, RemoteFile, fetch, is_verified, user_cache
from .idx import IDXError, read_idx

__all__ = [
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_URLS",
    "FashionMNIST",
    "IDXError",
    "fashion_mnist_cache_dir",
    "find_fashion_mnist_dir",
    "flat",
    "load_fashion_mnist",
    "read_idx",
]

SUBDIR = "fashion-mnist"
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801
IMAGE_SIZE = (28, 28)

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

FASHION_MNIST_FILES: dict[str, RemoteFile] = {
    "train-images-idx3-ubyte.gz": RemoteFile(
        26421856, "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"
    ),
    "train-labels-idx1-ubyte.gz": RemoteFile(
        29491, "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"
    ),
    "t10k-images-idx3-ubyte.gz": RemoteFile(
        4422079, "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"
    ),
    "t10k-labels-idx1-ubyte.gz": RemoteFile(
        5125, "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"
    ),
}

# The publisher's repository pinned to a commit, then its download site; tried in order.
FASHION_MNIST_URLS: tuple[str, ...] = (
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/"
    "949006594cc2f804a93b9155849734564c3545ec/data/fashion",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
)


@dataclass(frozen=True)
class FashionMNIST:
    """Fashion-MNIST, batch first.

    x_train (60000, 1, 28, 28) and x_test (10000, 1, 28, 28): pixels / 255 in [0, 1] (NCHW, one
    channel); y_train (60000,) and y_test (10000,): int64 class indices 0..9; classes: the ten names
    by index; source: the folder read. ``flat(x)`` gives the (N, 784) view an MLP takes.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...] = FASHION_MNIST_CLASSES
    source: str = ""


def flat(x: np.ndarray) -> np.ndarray:
    """(N, 1, 28, 28) -> (N, 784), row-major; a view (no copy) of a contiguous array."""
    x = np.asarray(x)
    return x.reshape(len(x), -1)


def read_split(
    images_path: str | os.PathLike[str], labels_path: str | os.PathLike[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) uint8 and labels (N,) int64 from one pair of IDX files, cross-checked."""
    images = read_idx(images_path, IMAGES_MAGIC, IMAGE_SIZE)
    labels = read_idx(labels_path, LABELS_MAGIC)
    who = os.fspath(labels_path)
    if len(labels) != len(images):
        rule = f"equal the {len(images)} images of {os.fspath(images_path)}"
        raise fail(who, "the number of labels", rule, len(labels), error=IDXError)
    if labels.size and labels.max() >= len(FASHION_MNIST_CLASSES):
        raise fail(who, "the labels", "be class indices 0..9", f"label {int(labels.max())}", error=IDXError)
    return images, labels.astype(np.int64)


def _locate(root: Path, name: str) -> Path | None:
    """``root/name`` (the .gz), else the uncompressed ``root/name`` without .gz, else None."""
    for candidate in (root / name, root / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _holds_files(root: Path) -> bool:
    return any(_locate(root, name) is not None for name in FASHION_MNIST_FILES)


def fashion_mnist_cache_dir() -> Path:
    """``$TINYGRAD_NP_CACHE/fashion-mnist``, else the OS user cache folder + ``tinygrad_np/fashion-mnist``."""
    return user_cache(SUBDIR)


def find_fashion_mnist_dir(
    data: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    base_urls: tuple[str, ...] | list[str] | None = None,
) -> Path:
    """The folder holding the four files: ``data`` (or its ``fashion-mnist/``), else
    ``$TINYGRAD_NP_DATA/fashion-mnist``, else the verified cache, else a verified download into it.

    Download URLs: ``base_urls``, else ``$TINYGRAD_NP_DATA_URL``, else :data:`FASHION_MNIST_URLS`.
    """
    if data is not None:
        root = Path(data).expanduser()
        return root / SUBDIR if not _holds_files(root) and _holds_files(root / SUBDIR) else root
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser() / SUBDIR
    cache = Path(cache_dir).expanduser() if cache_dir is not None else fashion_mnist_cache_dir()
    if all(is_verified(cache / name, rf) for name, rf in FASHION_MNIST_FILES.items()):
        return cache
    if not download:
        raise fail(
            "Fashion-MNIST",
            "the files",
            f"be in a given folder, ${DATA_ENV}/{SUBDIR} or the verified cache",
            f"none verified in {cache}, and download=False",
            f"pass --data DIR, set {DATA_ENV} (to a folder with a {SUBDIR}/ sub-folder), or allow the "
            f"download into {cache}",
            FileNotFoundError,
        )
    if base_urls is None:
        base_urls = [os.environ[URL_ENV]] if os.environ.get(URL_ENV) else list(FASHION_MNIST_URLS)
    return fetch(FASHION_MNIST_FILES, cache, base_urls=base_urls)


def to_images(images: np.ndarray, dtype: np.dtype | type = np.float32) -> np.ndarray:
    """(N, 28, 28) uint8 -> (N, 1, 28, 28) float of ``dtype`` in [0, 1] (pixels / 255)."""
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"load_fashion_mnist: dtype must be a float type such as float32, got {dt}")
    out = np.asarray(images).reshape(len(images), 1, *np.shape(images)[1:]).astype(dt)
    out /= dt.type(255)
    return out


def load_fashion_mnist(
    data: str | os.PathLike[str] | None = None,
    *,
    dtype: np.dtype | type = np.float32,
    download: bool = True,
) -> FashionMNIST:
    """Load Fashion-MNIST as a :class:`FashionMNIST` (x (N, 1, 28, 28) of ``dtype``, y (N,) int64).

    ``data``: a folder holding the four IDX files (``.gz`` or uncompressed); None: see the module
    docstring for the search order. ``download=False`` never touches the network.
    """
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"load_fashion_mnist: dtype must be a float type such as float32, got {dt}")
    root = find_fashion_mnist_dir(data, download=download)
    if not root.is_dir():
        got = "a file" if root.exists() else "nothing at that path"
        raise fail(str(root), "the Fashion-MNIST folder", "exist", got, error=FileNotFoundError)
    found = {name: _locate(root, name) for name in FASHION_MNIST_FILES}
    paths = {name: path for name, path in found.items() if path is not None}
    if len(paths) < len(found):
        missing = ", ".join(name for name in found if name not in paths)
        rule = "hold the four Fashion-MNIST files"
        raise fail(str(root), "the folder", rule, f"no {missing}", error=FileNotFoundError)
    arrays = {}
    for split, (images_name, labels_name) in SPLITS.items():
        images, labels = read_split(paths[images_name], paths[labels_name])
        arrays[split] = (to_images(images, dt), labels)
    return FashionMNIST(*arrays["train"], *arrays["test"], source=str(root))
