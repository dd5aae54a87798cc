"""Fashion-MNIST (Zalando Research, MIT licence) from its four original IDX files, batch first.

    data = tnp.datasets.load_fashion_mnist()       # finds, or downloads and verifies, the files
    data.x_train.shape, data.y_train.shape         # (60000, 1, 28, 28) float32 in [0, 1], (60000,) int64
    flat(data.x_train).shape                       # (60000, 784): a view, for MLPs

Where the files come from, in order: an explicit folder (``data``; a ``fashion-mnist/`` sub-folder of it
is used when the folder itself holds no files), ``$TINYGRAD_NP_DATA/fashion-mnist/``, the user cache
(``$TINYGRAD_NP_CACHE/fashion-mnist``, else ``~/.cache/tinygrad_np/fashion-mnist`` on Linux) when it holds
verified files, otherwise a download checked against size and sha256 (``fetch.fetch``: all or nothing).

An IDX file (gzip-compressed or raw) is a big-endian header: the magic number ``0x0000TTNN`` (TT = 0x08
unsigned bytes, NN = the number of dimensions), one uint32 per dimension, then the bytes row-major.
Images have magic 0x00000803 (N, 28, 28), labels 0x00000801 (N,).
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...validation import fail
from .fetch import CACHE_ENV, DATA_ENV, URL_ENV, RemoteFile, fetch, is_verified

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


class IDXError(ValueError):
    """An IDX file is corrupt, truncated, of the wrong kind or inconsistent with its header."""


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


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when they start with the gzip signature (or the name ends in .gz)."""
    if not path.is_file():
        got = "a folder" if path.is_dir() else "nothing at that path"
        raise fail(str(path), "the file", "exist", got, error=FileNotFoundError)
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        if path.suffix == ".gz":
            got = f"the bytes {raw[:2].hex(' ')}" if raw else "an empty file"
            raise fail(str(path), "a .gz file", "start with the gzip signature 1f 8b", got, error=IDXError)
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError:
        got = "a truncated one (the compressed stream ends early)"
        raise fail(str(path), "the gzip file", "be complete", got, error=IDXError) from None
    except (OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        got = f"a corrupt one ({exc})"
        raise fail(str(path), "the gzip file", "be intact", got, error=IDXError) from None


def _kind(magic: int) -> str:
    return {IMAGES_MAGIC: "IDX images", LABELS_MAGIC: "IDX labels"}.get(magic, "not an IDX ubyte file")


def read_idx(
    path: str | os.PathLike[str], magic: int, item_shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """Read one IDX file of unsigned bytes (gzip-compressed or raw) and check its header.

    ``magic``: 0x00000803 for images (N, 28, 28), 0x00000801 for labels (N,); ``item_shape``: the
    expected sizes after the first dimension, e.g. (28, 28). Returns a read-only uint8 array of the
    header's shape. Raises FileNotFoundError for a missing file and :class:`IDXError` (a ValueError)
    naming the file and the reason for a wrong magic number, a bad header, a truncated or overlong
    body, or a gzip error.
    """
    path = Path(path)
    data = _read_bytes(path)
    who = str(path)
    if len(data) < 4:
        got = f"{len(data)} bytes (truncated)"
        raise fail(who, "the file", "hold the 4-byte IDX magic number", got, error=IDXError)
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        rule, got = f"be 0x{magic:08x} ({_kind(magic)})", f"0x{found:08x} ({_kind(found)})"
        raise fail(who, "the magic number", rule, got, error=IDXError)
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        rule = f"hold the {header}-byte header of a {ndim}-d IDX file"
        raise fail(who, "the file", rule, f"{len(data)} bytes (a truncated header)", error=IDXError)
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", ndim, 4))
    if item_shape is not None and shape[1:] != tuple(item_shape):
        raise fail(who, "the header's item shape", f"be {tuple(item_shape)}", shape[1:], error=IDXError)
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(data) != expected:
        size = f"{expected} bytes{' uncompressed' if path.suffix == '.gz' else ''}"
        rule = f"be {size} as its header {shape} promises"
        got = f"{len(data)} bytes ({'truncated' if len(data) < expected else 'trailing bytes'})"
        raise fail(who, "the file", rule, got, error=IDXError)
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


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
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser() / SUBDIR
    import platformdirs  # installed with pooch (the "cat" extra)

    return Path(platformdirs.user_cache_dir("tinygrad_np")) / SUBDIR


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
