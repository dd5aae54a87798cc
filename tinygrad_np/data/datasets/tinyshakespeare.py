"""Tiny Shakespeare (char-rnn's ``input.txt``): about 40,000 lines of the plays as one plain-text file.

    text = tnp.datasets.load_tinyshakespeare()     # finds, or downloads and verifies, the file
    len(text), len(set(text))                      # 1115394, 65

Where the file comes from, in order: an explicit folder (``data``: ``DIR/input.txt``, else
``DIR/tinyshakespeare/input.txt``) or an explicit ``.txt`` file, ``$TINYGRAD_NP_DATA/tinyshakespeare/``,
the user cache (``$TINYGRAD_NP_CACHE/tinyshakespeare``, else ``~/.cache/tinygrad_np/tinyshakespeare`` on
Linux) when it holds the verified file, otherwise a download from the char-rnn repository checked against
its size and sha256 (``fetch.fetch``: nothing is kept unless it verifies).
"""

from __future__ import annotations

import os
from pathlib import Path

from ...validation import fail
from .fetch import DATA_ENV, URL_ENV, RemoteFile, fetch, is_verified, user_cache

__all__ = [
    "TINYSHAKESPEARE_FILES",
    "TINYSHAKESPEARE_URLS",
    "find_tinyshakespeare",
    "load_tinyshakespeare",
    "tinyshakespeare_cache_dir",
]

SUBDIR = "tinyshakespeare"
FILENAME = "input.txt"

TINYSHAKESPEARE_FILES: dict[str, RemoteFile] = {
    FILENAME: RemoteFile(1115394, "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"),
}

# karpathy/char-rnn, where nanoGPT's shakespeare_char/prepare.py downloads it from.
TINYSHAKESPEARE_URLS: tuple[str, ...] = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare",
)


def tinyshakespeare_cache_dir() -> Path:
    """``$TINYGRAD_NP_CACHE/tinyshakespeare``, else the OS user cache + ``tinygrad_np/tinyshakespeare``."""
    return user_cache(SUBDIR)


def find_tinyshakespeare(
    data: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    base_urls: tuple[str, ...] | list[str] | None = None,
) -> Path:
    """The path of ``input.txt``: in ``data`` (a file, a folder, or its ``tinyshakespeare/``), else in
    ``$TINYGRAD_NP_DATA/tinyshakespeare``, else in the verified cache, else downloaded into it.

    A given path or the environment variable is returned as is (the loader says if nothing is there).
    Download URLs: ``base_urls``, else ``$TINYGRAD_NP_DATA_URL``, else :data:`TINYSHAKESPEARE_URLS`.
    """
    if data is not None:
        root = Path(data).expanduser()
        if root.is_file():
            return root
        nested = root / SUBDIR / FILENAME
        return nested if not (root / FILENAME).is_file() and nested.is_file() else root / FILENAME
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser() / SUBDIR / FILENAME
    cache = Path(cache_dir).expanduser() if cache_dir is not None else tinyshakespeare_cache_dir()
    if is_verified(cache / FILENAME, TINYSHAKESPEARE_FILES[FILENAME]):
        return cache / FILENAME
    if not download:
        raise fail(
            "Tiny Shakespeare",
            FILENAME,
            f"be in a given folder, ${DATA_ENV}/{SUBDIR} or the verified cache",
            f"none verified in {cache}, and download=False",
            f"pass --data DIR, set {DATA_ENV} (to a folder with a {SUBDIR}/ sub-folder), or allow the "
            f"download into {cache}",
            FileNotFoundError,
        )
    if base_urls is None:
        base_urls = [os.environ[URL_ENV]] if os.environ.get(URL_ENV) else list(TINYSHAKESPEARE_URLS)
    return fetch(TINYSHAKESPEARE_FILES, cache, base_urls=base_urls) / FILENAME


def load_tinyshakespeare(data: str | os.PathLike[str] | None = None, *, download: bool = True) -> str:
    """The text of ``input.txt`` (found by :func:`find_tinyshakespeare`), read as UTF-8.

    FileNotFoundError for a missing file; ValueError for a file that is not UTF-8 text or is empty.
    """
    path = find_tinyshakespeare(data, download=download)
    if not path.is_file():
        got = "a folder" if path.is_dir() else "nothing at that path"
        fix = f"give the folder holding {FILENAME} (or a {SUBDIR}/ sub-folder with it), or the file itself"
        raise fail(str(path), "the text file", "exist", got, fix, FileNotFoundError)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise fail(str(path), "the file", "be UTF-8 text", f"bytes that are not ({exc.reason})") from None
    if not text:
        raise fail(str(path), "the file", "hold some text", "an empty file")
    return text
