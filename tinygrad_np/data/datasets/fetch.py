"""Find the cat / non-cat HDF5 files, downloading them into the user's cache when needed.

Where the data comes from, in order:
1. an explicit folder (``--data DIR``),
2. the environment variable ``TINYGRAD_NP_DATA``,
3. the user's cache folder (``$TINYGRAD_NP_CACHE``, else ``~/.cache/tinygrad_np/catvnoncat``
   on Linux) when it holds verified files,
4. a download from pinned public copies, checked against size and sha256, into that cache.

Downloads go through pooch into a staging folder and only verified files are moved into the cache,
so a checksum mismatch or a network failure leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

DATA_ENV = "TINYGRAD_NP_DATA"
URL_ENV = "TINYGRAD_NP_DATA_URL"
CACHE_ENV = "TINYGRAD_NP_CACHE"


class RemoteFile(NamedTuple):
    """Expected size in bytes and sha256 (hex) of a downloadable file."""

    size: int
    sha256: str


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


class DownloadError(OSError):
    """A file could not be downloaded or did not match its pinned size / sha256."""


def default_cache_dir() -> Path:
    """``$TINYGRAD_NP_CACHE``, else the OS user cache folder + ``tinygrad_np/catvnoncat``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    import platformdirs  # installed with pooch (the "cat" extra)

    return Path(platformdirs.user_cache_dir("tinygrad_np")) / "catvnoncat"


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
        raise FileNotFoundError(
            f"cat data not found: pass --data DIR, set {DATA_ENV}, or allow the download into {cache}"
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


@contextmanager
def _quiet_pooch() -> Iterator[None]:
    """Silence pooch's own INFO log (it names the staging path); we print our own line."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _sized_downloader(expected: RemoteFile, progressbar: bool):
    """A pooch downloader that also checks the byte count before pooch checks the sha256."""
    import pooch

    http = pooch.HTTPDownloader(progressbar=progressbar, timeout=60)

    def download(url: str, output_file, pooch_obj=None) -> None:
        http(url, output_file, pooch_obj)
        name = output_file if isinstance(output_file, str | os.PathLike) else output_file.name
        size = os.path.getsize(name)
        if size != expected.size:
            raise ValueError(f"size mismatch: got {size} bytes, expected {expected.size}")

    return download


def _reason(exc: BaseException) -> str:
    """The innermost useful message of a requests error (urllib3 wraps the real reason)."""
    inner = exc.args[0] if exc.args else None
    return str(getattr(inner, "reason", None) or exc)


def _download_one(name: str, expected: RemoteFile, urls: list[str], staging: Path) -> Path:
    """Download ``name`` from the first URL that gives verified bytes; DownloadError otherwise."""
    import pooch
    import requests

    failures = []
    for base in urls:
        url = f"{base}/{name}"
        print(f"Downloading {url}", file=sys.stderr)
        try:
            with _quiet_pooch():
                path = pooch.retrieve(
                    url,
                    known_hash=f"sha256:{expected.sha256}",
                    fname=name,
                    path=staging,
                    downloader=_sized_downloader(expected, progressbar=sys.stderr.isatty()),
                )
            return Path(path)
        except ValueError as exc:  # size or sha256 mismatch (pooch raises ValueError)
            failures.append(f"{url}: checksum check failed: {exc}")
        except (requests.exceptions.RequestException, OSError) as exc:
            failures.append(f"{url}: network error: {_reason(exc)}")
    raise DownloadError(f"could not download {name}:\n  " + "\n  ".join(failures))


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
    created = not cache.exists()
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
    try:
        downloaded = {n: _download_one(n, rf, urls, staging) for n, rf in missing.items()}
        for name, path in downloaded.items():
            os.replace(path, cache / name)
    except DownloadError as exc:
        raise DownloadError(
            f"{exc}\nNothing was saved in {cache}. To use files you already have, pass "
            f"--data DIR or set {DATA_ENV}."
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(cache.iterdir()):
            cache.rmdir()
    return cache
