"""The course's cat / non-cat HDF5 files as batch-first arrays.

``train_catvnoncat.h5`` holds ``train_set_x`` (209, 64, 64, 3) uint8, ``train_set_y`` (209,) and
``list_classes`` (2,) ``[b'non-cat', b'cat']``; ``test_catvnoncat.h5`` the same with ``test_``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
    classes: names by label, ("non-cat", "cat"); source: where it was read from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    images_train: np.ndarray
    images_test: np.ndarray
    classes: tuple[str, ...]
    source: str = ""


def to_features(images: np.ndarray, dtype: np.dtype | type = np.float64) -> np.ndarray:
    """(m, 64, 64, 3) uint8 -> (m, 12288) float of ``dtype`` scaled to [0, 1] (pixels / 255)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"dtype must be a float type such as float64 or float32, got {dtype}")
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
) -> CatData:
    """Build a :class:`CatData` from uint8 images (m, 64, 64, 3) and 0/1 labels (m,)."""
    dtype = np.dtype(dtype)
    return CatData(
        x_train=to_features(images_train, dtype),
        y_train=np.asarray(labels_train).reshape(-1, 1).astype(dtype),
        x_test=to_features(images_test, dtype),
        y_test=np.asarray(labels_test).reshape(-1, 1).astype(dtype),
        images_train=np.asarray(images_train),
        images_test=np.asarray(images_test),
        classes=tuple(classes),
        source=source,
    )


def read_h5(path: str | os.PathLike[str], split: str) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Read and validate one file: images (m, 64, 64, 3) uint8, labels (m,) int64, class names.

    Raises FileNotFoundError for a missing file and ValueError naming the file and the problem
    for anything else (not HDF5, truncated, missing key, wrong shape, dtype or label values).
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: file not found")
    x_key, y_key = f"{split}_set_x", f"{split}_set_y"
    try:
        with h5py.File(path, "r") as f:
            found = sorted(f.keys())
            for key in (x_key, y_key, "list_classes"):
                if key not in f:
                    raise ValueError(f"{path}: missing key {key!r} (found {found})")
                _check_dataset(h5py, f, path, key)
            _check_shapes(path, f[x_key], f[y_key], f["list_classes"], x_key, y_key)
            images, labels, classes = f[x_key][()], f[y_key][()], f["list_classes"][()]
    except ValueError:
        raise
    except (OSError, KeyError, TypeError, RuntimeError) as exc:
        raise ValueError(f"{path}: not a readable HDF5 file ({exc})") from None
    return _validate(path, images, labels, classes, x_key, y_key)


def _check_dataset(h5py, f, path: Path, key: str) -> None:
    """``key`` must be a dataset stored in the file itself (not a group, not a link to another file)."""
    link = f.get(key, getlink=True)
    if not isinstance(link, h5py.HardLink):
        raise ValueError(
            f"{path}: {key!r} must be a dataset stored in the file, got a {type(link).__name__}"
            + (f" to {link.filename!r}" if isinstance(link, h5py.ExternalLink) else "")
        )
    if not isinstance(f[key], h5py.Dataset):
        raise ValueError(f"{path}: {key!r} must be a dataset, got a {type(f[key]).__name__}")


def _check_shapes(path: Path, x, y, classes, x_key: str, y_key: str) -> None:
    """Shapes and dtypes from the datasets' metadata, before anything is read."""
    if x.dtype != np.uint8:
        raise ValueError(f"{path}: {x_key} has dtype {x.dtype}, expected uint8")
    if len(x.shape) != 4 or tuple(x.shape[1:]) != IMAGE_SHAPE:
        raise ValueError(f"{path}: {x_key} has shape {x.shape}, expected (m, 64, 64, 3)")
    m = x.shape[0]
    if not 1 <= m <= MAX_IMAGES:
        raise ValueError(f"{path}: {x_key} declares {m} images, expected between 1 and {MAX_IMAGES}")
    if y.dtype.kind not in "iub":
        raise ValueError(f"{path}: {y_key} has dtype {y.dtype}, expected integers")
    if tuple(y.shape) not in ((m,), (m, 1), (1, m)):
        raise ValueError(f"{path}: {y_key} has shape {y.shape}, expected ({m},) to match {x_key}")
    if tuple(classes.shape) != (2,):
        raise ValueError(f"{path}: list_classes has shape {classes.shape}, expected (2,)")


def _validate(path, images, labels, classes, x_key, y_key):
    images, labels, classes = np.asarray(images), np.asarray(labels), np.asarray(classes)
    if images.dtype != np.uint8:
        raise ValueError(f"{path}: {x_key} has dtype {images.dtype}, expected uint8")
    if images.ndim != 4 or images.shape[1:] != IMAGE_SHAPE:
        raise ValueError(f"{path}: {x_key} has shape {images.shape}, expected (m, 64, 64, 3)")
    if labels.dtype.kind not in "iub":
        raise ValueError(f"{path}: {y_key} has dtype {labels.dtype}, expected integers")
    labels = labels.reshape(-1) if labels.ndim == 2 and 1 in labels.shape else labels
    if labels.shape != (len(images),):
        raise ValueError(
            f"{path}: {y_key} has shape {labels.shape}, expected ({len(images)},) to match {x_key}"
        )
    if labels.size and not np.isin(labels, (0, 1)).all():
        raise ValueError(f"{path}: {y_key} holds values other than 0 and 1")
    if classes.shape != (2,):
        raise ValueError(f"{path}: list_classes has shape {classes.shape}, expected (2,)")
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
        raise ValueError(
            f"{data_dir / FILES['test']}: list_classes {test_classes} differ from the "
            f"training file's {classes}"
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
