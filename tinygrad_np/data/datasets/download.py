"""Downloading one pinned file: streamed with requests through pooch, stopped as soon as the server
announces or sends more bytes than the pinned size or the overall deadline passes, checked against its
sha256 by pooch. ``fetch.py`` decides where files come from and moves verified ones into the cache."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from ...validation import fail

DATA_ENV = "TINYGRAD_NP_DATA"
READ_TIMEOUT = 60.0  # seconds of silence from a server before giving up on it
_CHUNK = 1 << 16


class RemoteFile(NamedTuple):
    """Expected size in bytes and sha256 (hex) of a downloadable file."""

    size: int
    sha256: str


class DownloadError(OSError):
    """A file could not be downloaded or did not match its pinned size / sha256."""


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


class _Deadline(DownloadError):
    """The overall download deadline passed."""


class _SizeMismatch(ValueError):
    """A server announced or sent another size than the pinned one (its message names the URL)."""


def _read(read, remaining) -> bytes:
    """One ``read(_CHUNK)`` from the response; a read that fails past the deadline is a _Deadline."""
    import urllib3

    try:
        return read(_CHUNK)
    except urllib3.exceptions.HTTPError:
        remaining()  # raises _Deadline if that is why the read failed
        raise


def _sized_downloader(expected: RemoteFile, deadline: float):
    """A pooch downloader that streams with requests, stops as soon as the server announces or sends
    more than ``expected.size`` bytes (_SizeMismatch, a ValueError like pooch's checksum errors) and
    raises _Deadline once ``time.monotonic()`` passes ``deadline``."""
    import requests

    pinned = f"be {expected.size:,} bytes (its pinned size)"

    def download(url: str, output_file, pooch_obj=None) -> None:
        def remaining() -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                got = "one still running when it passed"
                raise fail(url, "the download", "end before the download deadline", got, error=_Deadline)
            return left

        timeout = (min(10.0, remaining()), min(READ_TIMEOUT, remaining()))
        # identity: Content-Length and the byte count are the file's own size, never a compressed one
        with requests.get(url, stream=True, timeout=timeout, headers={"Accept-Encoding": "identity"}) as r:
            r.raise_for_status()
            announced = r.headers.get("Content-Length", "")
            if announced.isdigit() and int(announced) != expected.size:
                got = f"{int(announced):,} bytes announced by the server"
                raise fail(url, "the file", pinned, got, error=_SizeMismatch)
            out = open(output_file, "wb") if isinstance(output_file, str | os.PathLike) else output_file
            try:
                received = 0
                read = getattr(r.raw, "read1", r.raw.read)  # read1: whatever has arrived, so we can stop
                while chunk := _read(read, remaining):
                    received += len(chunk)
                    if received > expected.size:
                        got = "more bytes sent by the server (the download was stopped there)"
                        raise fail(url, "the file", pinned, got, error=_SizeMismatch)
                    out.write(chunk)
                    remaining()
            finally:
                if out is not output_file:
                    out.close()
        if received != expected.size:
            raise fail(url, "the file", pinned, f"{received:,} bytes", error=_SizeMismatch)

    return download


def _reason(exc: BaseException) -> str:
    """The innermost useful message of a requests or urllib3 error (urllib3 wraps the real reason)."""
    inner = exc.args[0] if exc.args else None
    return str(getattr(inner, "reason", None) or exc)


def download_one(
    name: str, expected: RemoteFile, urls: list[str], staging: Path, deadline: float
) -> Path | list[str]:
    """Download ``name`` from the first URL that gives verified bytes; otherwise the failures, one
    line per URL tried."""
    import pooch
    import requests
    import urllib3

    failures = []
    for base in urls:
        url = f"{base}/{name}"
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            failures.append(
                f"{url}: a {scheme or 'schemeless'} URL, but only http:// and https:// are downloaded; "
                f"for files on this machine pass --data DIR or set {DATA_ENV}"
            )
            continue
        print(f"Downloading {url}", file=sys.stderr)
        try:
            with _quiet_pooch():
                path = pooch.retrieve(
                    url,
                    known_hash=f"sha256:{expected.sha256}",
                    fname=name,
                    path=staging,
                    downloader=_sized_downloader(expected, deadline),
                )
            return Path(path)
        except _Deadline:
            failures.append(f"{url}: stopped at the download deadline")
            break
        except _SizeMismatch as exc:  # our size check: its message names the URL
            failures.append(str(exc))
        except ValueError as exc:  # a sha256 mismatch (pooch raises ValueError)
            failures.append(f"{url}: checksum check failed: {exc}")
        except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            failures.append(f"{url}: network error: {_reason(exc)}")
    return failures
