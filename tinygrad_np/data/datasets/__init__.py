"""Datasets for the examples: the course's cat / non-cat files and folders of photos, and Fashion-MNIST.

Only numpy is imported here; h5py, Pillow and pooch (the ``cat`` extra) are imported when used, and
a missing one is a ModuleNotFoundError saying to install the extra: ``pip install -e ".[cat]"``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ...validation import fail
from .catvnoncat import FILES, CatData, load_catvnoncat, make_split, read_h5, to_features
from .extras import missing_hint, missing_module, require
from .fashion_mnist import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_FILES,
    FASHION_MNIST_URLS,
    FashionMNIST,
    IDXError,
    find_fashion_mnist_dir,
    flat,
    load_fashion_mnist,
    read_idx,
)
from .fetch import (
    CATVNONCAT_FILES,
    CATVNONCAT_URLS,
    DownloadError,
    default_cache_dir,
    fetch,
    find_data_dir,
)
from .imagefolder import (
    LABEL_RULES,
    ImageLoadError,
    SkippedFilesWarning,
    is_image_folder,
    label_from_extension,
    label_from_name,
    list_images,
    load_image,
    load_image_folder,
)

__all__ = [
    "CATVNONCAT_FILES",
    "CATVNONCAT_URLS",
    "FASHION_MNIST_CLASSES",
    "FASHION_MNIST_FILES",
    "FASHION_MNIST_URLS",
    "FILES",
    "LABEL_RULES",
    "CatData",
    "DownloadError",
    "FashionMNIST",
    "IDXError",
    "ImageLoadError",
    "SkippedFilesWarning",
    "default_cache_dir",
    "fetch",
    "find_data_dir",
    "find_fashion_mnist_dir",
    "flat",
    "is_image_folder",
    "label_from_extension",
    "label_from_name",
    "list_images",
    "load_catvnoncat",
    "load_dataset",
    "load_fashion_mnist",
    "load_image",
    "load_image_folder",
    "make_split",
    "missing_hint",
    "missing_module",
    "read_h5",
    "read_idx",
    "require",
    "to_features",
]


def load_dataset(
    data: str | os.PathLike[str] | None = None,
    *,
    dtype: np.dtype | type = np.float64,
    download: bool = True,
    label_by: str = "auto",
    **folder_options: Any,
) -> CatData:
    """Load cat / non-cat data from a folder of the course's HDF5 files or of images.

    ``data`` None: ``$TINYGRAD_NP_DATA``, else the user cache, else a verified download.
    A folder with ``train_catvnoncat.h5`` and ``test_catvnoncat.h5`` is read as HDF5; one with
    ``train/`` and ``test/`` sub-folders as images (see :func:`load_image_folder`), labelled by
    ``label_by`` ("auto", "name", "folder" or "extension"; ``folder_options`` such as
    ``cat_extensions=(".png",)`` go to :func:`load_image_folder`). A missing h5py or Pillow is a
    ModuleNotFoundError naming the ``cat`` extra.
    """
    try:
        return _load_dataset(data, dtype, download, label_by, folder_options)
    except ModuleNotFoundError as exc:
        if exc.name in ("h5py", "PIL", "pooch", "requests", "platformdirs") and "extra" not in str(exc):
            raise missing_module(exc.name) from None
        raise


def _load_dataset(data, dtype, download: bool, label_by: str, options: dict[str, Any]) -> CatData:
    root = find_data_dir(data, download=download)
    if not root.is_dir():
        got = "a file" if root.exists() else "nothing at that path"
        raise fail(str(root), "the data folder", "exist", got, error=FileNotFoundError)
    if any((root / name).exists() for name in FILES.values()):
        if label_by != "auto":
            rule = "be 'auto' for the HDF5 files (they carry their labels; the rules are for image folders)"
            raise fail(str(root), "label_by", rule, repr(label_by))
        return load_catvnoncat(root, dtype=dtype)
    if is_image_folder(root):
        return load_image_folder(root, dtype=dtype, label_by=label_by, **options)
    rule = f"hold the cat data: {FILES['train']} and {FILES['test']}, or train/ and test/ folders of images"
    raise fail(str(root), "the folder", rule, "neither", error=FileNotFoundError)
