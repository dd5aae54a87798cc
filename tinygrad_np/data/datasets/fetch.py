"""Find the cat / non-cat HDF5 files, downloading them into the user's cache when needed.

Where the data comes from, in order:
1. an explicit folder (``--data DIR``),
2. the environment variable ``TINYGRAD_NP_DATA``,
3. the user's cache folder (``$TINYGRAD_NP_CACHE``, else ``~/.cache/tinygrad_np/catvnoncat``
   on Linux) when it holds verified files,
4. a download from pinned public copies, checked against size and sha256, into that cache.

Downloads go through pooch into a staging folder and only verified files are moved into the cache,
so a checksum mismatch or a network failure leaves nothing behind. Downloads are bounded: an overall
deadline (``DEFAULT_TIMEOUT`` seconds, or ``$TINYGRAD_NP_DOWNLOAD_TIMEOUT``) for the whole fetch,
and a file is abandoned as soon as the server announces or sends more bytes than its pinned size.
Staging folders left by a killed process (``.download-*``, older than
``serialization.STALE_SECONDS``) are removed by the next fetch into the same cache.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ...serialization import remove_stale
from ...validation import fail
from .download import DATA_ENV, DownloadError, RemoteFile, download_one

URL_ENV = "TINYGRAD_NP_DATA_URL"
CACHE_ENV = "TINYGRAD_NP_CACHE"
TIMEOUT_ENV = "TINYGRAD_NP_DOWNLOAD_TIMEOUT"
DEFAULT_TIMEOUT = 300.0  # seconds for a whole fetch (all files, all mirrors)
_STAGING = re.compile(r"\.download-[a-z0-9_]{8}")


CATVNONCAT_FILES: dict[str, RemoteFile] = {
    "train_catvnoncat.h5": RemoteFile(
        2572022, "fbe56ab67c3ae28d564e3a644189117976d6b31af0a3ce9bb17dbf22908af242"
    ),
    "test_catvnoncat.h5": RemoteFile(
        616958, "6a9d39ce52fa85953c5834695b8534a30ed8cfd54971fb2f080b5a24d002b951"
    ),
}

# Byte-identical public copies pinned to a commit; tried in order.
CATVNONCAT_URLS: tuple[str, ...] = (
    "https://raw.githubusercontent.com/MohammadMdv/DNN-from-scratch/"
    "4be5dd2d4c8d1b666a43d99a4b9b9d41f5a83447/datasets",
    "https://raw.githubusercontent.com/JB775/image_classifier_nn/"
    "44d2c6d9aa41a828562426f226b7723106e35117/datasets",
)


def default_cache_dir() -> Path:
    """``$TINYGRAD_NP_CACHE``, else the OS user cache folder + ``tinygrad_np/catvnoncat``."""
    return user_cache("catvnoncat", under_env=False)


def user_cache(subdir: str, under_env: bool = True) -> Path:
    """A data set's cache folder: ``$TINYGRAD_NP_CACHE`` (+ ``/<subdir>`` when ``under_env``), else the OS
    user cache folder + ``tinygrad_np/<subdir>``."""
    if os.environ.get(CACHE_ENV):
        root = Path(os.environ[CACHE_ENV]).expanduser()
        return root / subdir if under_env else root
    import platformdirs  # installed with pooch (the "cat" extra)

    return Path(platformdirs.user_cache_dir("tinygrad_np")) / subdir


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_verified(path: Path, expected: RemoteFile) -> bool:
    """True when ``path`` is a file with the expected size and sha256."""
    try:
        return path.stat().st_size == expected.size and sha256_of(path) == expected.sha256
    except OSError:
        return False


def find_data_dir(
    data: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    base_urls: Sequence[str] | None = None,
) -> Path:
    """The folder holding the cat data: ``data``, else ``$TINYGRAD_NP_DATA``, else the cache.

    An explicit folder or the environment variable is returned as is (the loader checks its
    contents). Otherwise the cache is filled by :func:`fetch` when ``download`` is true.
    """
    if data is not None:
        return Path(data).expanduser()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if all(is_verified(cache / name, rf) for name, rf in CATVNONCAT_FILES.items()):
        return cache
    if not download:
        raise fail(
            "cat data",
            "the files",
            f"be in a given folder, ${DATA_ENV} or the verified cache",
            f"none verified in {cache}, and download=False",
            f"pass --data DIR, set {DATA_ENV}, or allow the download into {cache}",
            FileNotFoundError,
        )
    return fetch(CATVNONCAT_FILES, cache, base_urls=base_urls)


def _base_urls(base_urls: Sequence[str] | None) -> list[str]:
    if base_urls is not None:
        urls = list(base_urls)
    elif os.environ.get(URL_ENV):
        urls = [os.environ[URL_ENV]]
    else:
        urls = list(CATVNONCAT_URLS)
    return [u.rstrip("/") for u in urls]


def download_timeout() -> float:
    """The overall download deadline in seconds: ``$TINYGRAD_NP_DOWNLOAD_TIMEOUT``, else DEFAULT_TIMEOUT."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise fail("fetch", TIMEOUT_ENV, "be a number of seconds > 0", repr(raw))
    return value


def fetch(
    files: Mapping[str, RemoteFile],
    cache_dir: str | os.PathLike[str],
    *,
    base_urls: Sequence[str] | None = None,
) -> Path:
    """Make ``cache_dir`` hold every file of ``files`` verified; download the missing ones.

    All or nothing: files are downloaded into a staging folder and moved into the cache only
    when every one has its pinned size and sha256. On any failure the staging folder is removed
    and :class:`DownloadError` says which URL failed and why. Returns ``cache_dir``.
    Base URLs: ``base_urls``, else ``$TINYGRAD_NP_DATA_URL``, else the pinned public copies.
    """
    cache = Path(cache_dir).expanduser()
    missing = {n: rf for n, rf in files.items() if not is_verified(cache / n, rf)}
    if not missing:
        return cache
    urls = _base_urls(base_urls)
    timeout = download_timeout()
    deadline = time.monotonic() + timeout
    created = not cache.exists()
    cache.mkdir(parents=True, exist_ok=True)
    remove_stale(cache, _STAGING)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
    try:
        downloaded = {}
        for name, expected in missing.items():
            found = download_one(name, expected, urls, staging, deadline)
            if isinstance(found, list):
                rule = "be downloaded from one of the URLs with its pinned size and sha256"
                got = _failure_report(found, cache, timeout if time.monotonic() >= deadline else None)
                raise fail("fetch", name, rule, got, error=DownloadError)
            downloaded[name] = found
        for name, path in downloaded.items():
            os.replace(path, cache / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(cache.iterdir()):
            cache.rmdir()
    return cache


def _failure_report(failures: list[str], cache: Path, timeout: float | None) -> str:
    """The lines after "got": one failure per URL tried, the deadline if it passed (``timeout``), and
    that nothing was saved."""
    late = (
        f"\nThe download deadline of {timeout:g} s passed (set {TIMEOUT_ENV}, in seconds, to change it)."
        if timeout is not None
        else ""
    )
    return (
        "these failures:\n  " + "\n  ".join(failures) + late + f"\nNothing was saved in {cache}. "
        f"To use files you already have, pass --data DIR or set {DATA_ENV}."
    )
