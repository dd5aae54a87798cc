"""IDX files of unsigned bytes (the MNIST family's format), gzip-compressed or raw, read within bounds.

An IDX file is a big-endian header: the magic number ``0x0000TTNN`` (TT = 0x08 unsigned bytes, NN = the
number of dimensions), one uint32 per dimension, then the bytes row-major. :func:`read_idx` reads the
header first and never reads (or, for a gzip file, inflates) more than the header declares plus one
buffer (8 KiB) to detect trailing data: a small file that would inflate to gigabytes costs kilobytes.
Every error names the file.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import Protocol

import numpy as np

from ...validation import fail

__all__ = ["IDXError", "read_idx"]

GZIP_SIGNATURE = b"\x1f\x8b"
# Deflate turns at most 1032 bytes into one compressed byte (a 258-byte match in 2 bits): a gzip file
# of C bytes cannot inflate to more than MAX_RATIO * C, so a header promising more is a truncated file.
MAX_RATIO = 1032
CHUNK = 1 << 20  # bytes inflated at a time into the array


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class IDXError(ValueError):
    """An IDX file is corrupt, truncated, of the wrong kind or inconsistent with its header."""


def _kind(magic: int) -> str:
    return {0x00000803: "IDX images", 0x00000801: "IDX labels"}.get(magic, "not an IDX ubyte file")


def _read(stream: _Readable, n: int, who: str) -> bytes:
    """Up to ``n`` bytes (fewer only at the end of the data); a gzip error as an IDXError naming ``who``."""
    try:
        return stream.read(n)
    except EOFError:
        got = "a truncated one (the compressed stream ends early)"
        raise fail(who, "the gzip file", "be complete", got, error=IDXError) from None
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise fail(who, "the gzip file", "be intact", f"a corrupt one ({exc})", error=IDXError) from None


def _read_exact(stream: _Readable, n: int, who: str) -> bytes:
    """``n`` bytes, or all that is left when fewer."""
    parts, got = [], 0
    while got < n:
        part = _read(stream, n - got, who)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _check_header(data: bytes, magic: int, who: str) -> int:
    """The header's length, after checking the magic number in ``data`` (the file's first bytes)."""
    if len(data) < 4:
        got = f"{len(data)} bytes (truncated)"
        raise fail(who, "the file", "hold the 4-byte IDX magic number", got, error=IDXError)
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        rule, got = f"be 0x{magic:08x} ({_kind(magic)})", f"0x{found:08x} ({_kind(found)})"
        raise fail(who, "the magic number", rule, got, error=IDXError)
    return 4 + 4 * (magic & 0xFF)


def _size_rule(expected: int, shape: tuple[int, ...], gz: bool) -> str:
    return f"be {expected} bytes{' uncompressed' if gz else ''} as its header {shape} promises"


def _read_body(stream: _Readable, n: int, header: int, rule: str, who: str) -> np.ndarray:
    """The ``n`` bytes after the header, read chunk by chunk into one array (nothing larger is held)."""
    try:
        body = np.empty(n, np.uint8)
    except MemoryError:
        got = f"{n:,} bytes, more than could be allocated"
        raise fail(who, "the data its header declares", "fit in memory", got, error=MemoryError) from None
    done = 0
    while done < n:
        part = _read(stream, min(CHUNK, n - done), who)
        if not part:
            got = f"{header + done} bytes (truncated)"
            raise fail(who, "the file", rule, got, error=IDXError)
        body[done : done + len(part)] = np.frombuffer(part, np.uint8)
        done += len(part)
    return body


def _read_stream(
    stream: _Readable, stored: int, gz: bool, magic: int, item_shape: tuple[int, ...] | None, who: str
) -> np.ndarray:
    """The checks of :func:`read_idx` on an open (possibly inflating) stream of a ``stored``-byte file."""
    head = _read_exact(stream, 4, who)
    header = _check_header(head, magic, who)
    head += _read_exact(stream, header - 4, who)
    if len(head) < header:
        ndim = magic & 0xFF
        rule = f"hold the {header}-byte header of a {ndim}-d IDX file"
        raise fail(who, "the file", rule, f"{len(head)} bytes (a truncated header)", error=IDXError)
    shape = tuple(int(d) for d in np.frombuffer(head, ">u4", magic & 0xFF, 4))
    if item_shape is not None and shape[1:] != tuple(item_shape):
        raise fail(who, "the header's item shape", f"be {tuple(item_shape)}", shape[1:], error=IDXError)
    n = math.prod(shape)
    rule = _size_rule(header + n, shape, gz)
    if not gz and stored != header + n:  # a raw file's size is known before reading it
        got = f"{stored} bytes ({'truncated' if stored < header + n else 'trailing bytes'})"
        raise fail(who, "the file", rule, got, error=IDXError)
    if gz and header + n > MAX_RATIO * stored:
        got = f"a {stored}-byte gzip file, which inflates to at most {MAX_RATIO * stored} bytes (truncated)"
        raise fail(who, "the file", rule, got, error=IDXError)
    body = _read_body(stream, n, header, rule, who)
    if _read(stream, 1, who):
        raise fail(who, "the file", rule, "more (trailing bytes)", error=IDXError)
    body.flags.writeable = False
    return body.reshape(shape)


def read_idx(
    path: str | os.PathLike[str], magic: int, item_shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """Read one IDX file of unsigned bytes (gzip-compressed or raw) and check its header.

    ``magic``: 0x00000803 for images (N, 28, 28), 0x00000801 for labels (N,); ``item_shape``: the
    expected sizes after the first dimension, e.g. (28, 28). Returns a read-only uint8 array of the
    header's shape. Raises FileNotFoundError for a missing file and :class:`IDXError` (a ValueError)
    naming the file and the reason for a wrong magic number, a bad header, a truncated or overlong
    body, or a gzip error; MemoryError naming the file when what the header declares does not fit.
    The header is read first and nothing beyond what it declares (plus 8 KiB) is inflated.
    """
    path = Path(path)
    who = str(path)
    if not path.is_file():
        got = "a folder" if path.is_dir() else "nothing at that path"
        raise fail(who, "the file", "exist", got, error=FileNotFoundError)
    with open(path, "rb") as f:
        signature = f.read(2)
        f.seek(0)
        stored = os.fstat(f.fileno()).st_size
        gz = signature == GZIP_SIGNATURE
        if not gz and path.suffix == ".gz":
            got = f"the bytes {signature.hex(' ')}" if signature else "an empty file"
            raise fail(who, "a .gz file", "start with the gzip signature 1f 8b", got, error=IDXError)
        if not gz:
            return _read_stream(f, stored, False, magic, item_shape, who)
        with gzip.GzipFile(fileobj=f, mode="rb") as stream:
            return _read_stream(stream, stored, True, magic, item_shape, who)
