"""The course's cat / non-cat HDF5 files as batch-first arrays.

``train_catvnoncat.h5`` holds ``train_set_x`` (209, 64, 64, 3) uint8, ``train_set_y`` (209,) and
``list_classes`` (2,) ``[b'non-cat', b'cat']``; ``test_catvnoncat.h5`` the same with ``test_``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...validation import fail

IMAGE_SHAPE = (64, 64, 3)
# The most images a file may declare: checked from the dataset's shape before anything is read, so a
# small compressed file declaring millions of images is rejected without allocating them.
MAX_IMAGES = 20_000
FILES = {"train": "train_catvnoncat.h5", "test": "test_catvnoncat.h5"}


@dataclass(frozen=True)
class CatData:
    """A cat / non-cat split, batch first.

    x_train (m, 12288) and x_test (n, 12288): pixels / 255 in [0, 1], flattened row-major from
    (64, 64, 3) exactly as the course does; y_train (m, 1), y_test (n, 1): 1.0 = cat, same dtype;
    images_train (m, 64, 64, 3) and images_test (n, 64, 64, 3): the raw uint8 pictures;
    classes: names by label, ("non-cat", "cat"); source: where it was read from;
    names_train (m,) and names_test (n,): each image's file name (image folders) or
    ``"train_catvnoncat.h5[i]"`` (HDF5), in the order of the arrays.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    images_train: np.ndarray
    images_test: np.ndarray
    classes: tuple[str, ...]
    source: str = ""
    names_train: tuple[str, ...] = ()
    names_test: tuple[str, ...] = ()


def to_features(images: np.ndarray, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """(m, 64, 64, 3) uint8 -> (m, 12288) float of ``dtype`` scaled to [0, 1] (pixels / 255)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        rule = "be a float type such as float64 or float32"
        raise fail("to_features", "dtype", rule, str(dtype), error=TypeError)
    flat = np.asarray(images).reshape(len(images), -1)
    return flat.astype(dtype) / dtype.type(255)


def make_split(
    images_train: np.ndarray,
    labels_train: np.ndarray,
    images_test: np.ndarray,
    labels_test: np.ndarray,
    classes: tuple[str, ...] = ("non-cat", "cat"),
    *,
    dtype: np.dtype | type = np.float64,
    source: str = "",
    names_train: tuple[str, ...] | None = None,
    names_test: tuple[str, ...] | None = None,
) -> CatData:
    """Build a :class:`CatData` from uint8 images (m, 64, 64, 3) and 0/1 labels (m,); names default
    to ``FILES[split][i]``."""
    dtype = np.dtype(dtype)
    if names_train is None:
        names_train = tuple(f"{FILES['train']}[{i}]" for i in range(len(images_train)))
    if names_test is None:
        names_test = tuple(f"{FILES['test']}[{i}]" for i in range(len(images_test)))
    return CatData(
        x_train=to_features(images_train, dtype),
        y_train=np.asarray(labels_train).reshape(-1, 1).astype(dtype),
        x_test=to_features(images_test, dtype),
        y_test=np.asarray(labels_test).reshape(-1, 1).astype(dtype),
        images_train=np.asarray(images_train),
        images_test=np.asarray(images_test),
        classes=tuple(classes),
        source=source,
        names_train=tuple(names_train),
        names_test=tuple(names_test),
    )


def read_h5(path: str | os.PathLike[str], split: str) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Read and validate one file: images (m, 64, 64, 3) uint8, labels (m,) int64, class names.

    Raises FileNotFoundError for a missing file and ValueError naming the file and the problem
    for anything else (not HDF5, truncated, missing key, wrong shape, dtype or label values).
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        got = "a folder" if path.is_dir() else "nothing at that path"
        raise fail(str(path), "the file", "exist", got, error=FileNotFoundError)
    x_key, y_key = f"{split}_set_x", f"{split}_set_y"
    try:
        with h5py.File(path, "r") as f:
            found = sorted(f.keys())
            for key in (x_key, y_key, "list_classes"):
                if key not in f:
                    raise fail(str(path), "the file", f"hold the key {key!r}", f"the keys {found}")
                _check_dataset(h5py, f, path, key)
            _check_shapes(path, f[x_key], f[y_key], f["list_classes"], x_key, y_key)
            images, labels, classes = f[x_key][()], f[y_key][()], f["list_classes"][()]
    except ValueError:
        raise
    except (OSError, KeyError, TypeError, RuntimeError) as exc:
        raise fail(
            str(path), "the file", "be a readable HDF5 file", f"one h5py cannot read ({exc})"
        ) from None
    return _validate(path, images, labels, classes, x_key, y_key)


def _check_dataset(h5py, f, path: Path, key: str) -> None:
    """``key`` must be a dataset stored in the file itself (not a group, not a link to another file)."""
    link = f.get(key, getlink=True)
    if not isinstance(link, h5py.HardLink):
        target = f" to {link.filename!r}" if isinstance(link, h5py.ExternalLink) else ""
        raise fail(
            str(path), repr(key), "be a dataset stored in the file", f"a {type(link).__name__}{target}"
        )
    if not isinstance(f[key], h5py.Dataset):
        raise fail(str(path), repr(key), "be a dataset", f"a {type(f[key]).__name__}")


def _check_shapes(path: Path, x, y, classes, x_key: str, y_key: str) -> None:
    """Shapes and dtypes from the datasets' metadata, before anything is read."""
    if x.dtype != np.uint8:
        raise fail(str(path), x_key, "have dtype uint8", str(x.dtype))
    if len(x.shape) != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
        raise fail(str(path), x_key, "have shape (m, 64, 64, 3)", tuple(x.shape))
    m = x.shape[0]
    if not 1 <= m <= MAX_IMAGES:
        raise fail(
            str(path),
            x_key,
            f"hold between 1 and {MAX_IMAGES} images",
            f"{m} (its declared shape is {tuple(x.shape)})",
        )
    if y.dtype.kind not in "iub":
        raise fail(str(path), y_key, "have an integer dtype", str(y.dtype))
    if tuple(y.shape) not in ((m,), (m, 1), (1, m)):
        raise fail(str(path), y_key, f"have shape ({m},) to match {x_key}", tuple(y.shape))
    if tuple(classes.shape) != (2,):
        raise fail(str(path), "list_classes", "have shape (2,)", tuple(classes.shape))


def _validate(path, images, labels, classes, x_key, y_key):
    images, labels, classes = np.asarray(images), np.asarray(labels), np.asarray(classes)
    if images.dtype != np.uint8:
        raise fail(str(path), x_key, "have dtype uint8", str(images.dtype))
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise fail(str(path), x_key, "have shape (m, 64, 64, 3)", images.shape)
    if labels.dtype.kind not in "iub":
        raise fail(str(path), y_key, "have an integer dtype", str(labels.dtype))
    labels = labels.reshape(-1) if labels.ndim == 2 and 1 in labels.shape else labels
    if labels.shape != (len(images),):
        raise fail(str(path), y_key, f"have shape ({len(images)},) to match {x_key}", labels.shape)
    other = np.unique(labels[~np.isin(labels, (0, 1))])
    if other.size:
        raise fail(str(path), y_key, "hold only the labels 0 and 1", f"also {other[:5].tolist()}")
    if classes.shape != (2,):
        raise fail(str(path), "list_classes", "have shape (2,)", classes.shape)
    names = tuple(c.decode() if isinstance(c, bytes) else str(c) for c in classes)
    return images, labels.astype(np.int64), names


def load_catvnoncat(data_dir: str | os.PathLike[str], *, dtype: np.dtype | type = np.float64) -> CatData:
    """Load ``train_catvnoncat.h5`` and ``test_catvnoncat.h5`` from ``data_dir``.

    Returns a :class:`CatData` with x_train (209, 12288), y_train (209, 1), x_test (50, 12288),
    y_test (50, 1) of ``dtype``.
    """
    data_dir = Path(data_dir)
    images_train, labels_train, classes = read_h5(data_dir / FILES["train"], "train")
    images_test, labels_test, test_classes = read_h5(data_dir / FILES["test"], "test")
    if test_classes != classes:
        raise fail(
            str(data_dir / FILES["test"]),
            "list_classes",
            f"equal the training file's {classes}",
            test_classes,
        )
    return make_split(
        images_train,
        labels_train,
        images_test,
        labels_test,
        classes,
        dtype=dtype,
        source=str(data_dir),
    )
