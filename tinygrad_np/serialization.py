"""Saving and loading arrays: ``.npz`` files without pickle, written atomically.

Loading reads every array's header first (:func:`read_header`): names, shapes and dtypes are
checked, and the sizes the headers claim are compared with the bytes actually stored, before any
array is allocated. A file that is not an ``.npz`` of plain arrays raises :class:`WeightsFileError`
(a ValueError) naming it.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping
from typing import IO, Any, NamedTuple

import numpy as np

from .validation import fail

# Leftovers of a killed write: ".tmp-<8 random characters>-<file name>" (tempfile.mkstemp's pattern).
TMP_PREFIX = ".tmp-"
_TMP_NAME = re.compile(r"\.tmp-[a-z0-9_]{8}-.+")
# Temporary files older than this (seconds) in a folder we write to are removed as stale.
STALE_SECONDS = 3600.0
# The most a load() may allocate, in bytes, unless the caller passes max_bytes.
MAX_BYTES = 8 << 30
_NPY_MAGIC = b"\x93NUMPY"
_NPZ = "a tinygrad_np .npz weights file (a zip archive of .npy arrays)"


class WeightsFileError(ValueError):
    """A file that is not an ``.npz`` of plain arrays, or whose headers disagree with its bytes."""


def remove_stale(directory: str | os.PathLike[str], pattern: re.Pattern[str] = _TMP_NAME) -> list[str]:
    """Remove files (or folders) in ``directory`` whose names match ``pattern`` and whose last change
    is older than ``STALE_SECONDS``: the leftovers of a process killed mid-write. Returns their names."""
    removed = []
    cutoff = time.time() - STALE_SECONDS
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(entry.name)
    return removed


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path`` for writing; on success rename it onto ``path``.

    If the block raises, the temporary file is removed and ``path`` is left as it was; an OSError
    from the system (a full disk, ...) names ``path``. Stale temporary files of earlier, killed
    writes in the same folder (older than ``STALE_SECONDS``) are removed first.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)  # saving into a new folder creates it
    except OSError as e:
        got = f"{e.strerror or e} (nothing was written)"
        raise fail(path, "its folder", "be creatable", got, error=type(e)) from e
    remove_stale(directory)
    try:
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix="-" + os.path.basename(path), dir=directory)
    except OSError as e:  # a folder that cannot hold new files (/proc, read-only, no permission)
        got = f"{e.strerror or e} when creating a file in {directory} (nothing was written)"
        raise fail(path, "the file", "be writable", got, error=type(e)) from e
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file readable by its owner only; give it the mode open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        # The system's errors name the temporary file (or nothing): name the target instead.
        if isinstance(e, OSError) and e.errno is not None and e.filename in (None, tmp, path):
            got = f"{e.strerror} (nothing was changed)"
            raise fail(path, "the file", "be writable", got, error=type(e)) from e
        raise


def split(arrays: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The entries of a flat ``{"a/b": array}`` dict that lie under ``prefix/``, with the prefix removed."""
    n = len(prefix) + 1
    return {k[n:]: v for k, v in arrays.items() if k.startswith(prefix + "/")}


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Save a model's weights (anything with ``state_dict()``) or a ``{name: array}`` dict to ``path``
    as an uncompressed ``.npz``, atomically. The file is written exactly at ``path``."""
    state = obj.state_dict() if hasattr(obj, "state_dict") else obj
    if not isinstance(state, Mapping):
        got = f"an object of type {type(obj).__name__}"
        raise fail("save", "obj", "be a model (with state_dict()) or a dict of arrays", got, error=TypeError)
    arrays = {str(k): np.asarray(v) for k, v in state.items()}
    for k, v in arrays.items():
        if v.dtype == object:
            rule = "hold plain data (an object array would need pickle)"
            raise fail("save", f"array {k!r}", rule, "dtype object", error=TypeError)
    with atomic_write(path) as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]  # (numpy stubs take the first kwarg for allow_pickle)


class ArrayInfo(NamedTuple):
    """What an ``.npy`` header inside an ``.npz`` says: shape, dtype and size in bytes."""

    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int


def _member_info(path: str, z: zipfile.ZipFile, info: zipfile.ZipInfo) -> ArrayInfo:
    """Parse one member's ``.npy`` header and check it against the bytes stored (WeightsFileError)."""
    member = f"its member {info.filename!r}"
    with z.open(info) as f:
        if f.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
            raise fail(path, member, "be a .npy array", "no .npy magic string", error=WeightsFileError)
        version = (f.read(1)[0], f.read(1)[0])
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            rule, got = "have .npy format version 1.0 or 2.0", f"{version[0]}.{version[1]}"
            raise fail(path, member, rule, got, error=WeightsFileError)
        header_len = f.tell()
    if dtype.hasobject or dtype.kind not in "biufcUS":
        rule = "hold plain data (numbers or strings; anything else would need pickle)"
        raise fail(path, member, rule, f"dtype {dtype}", error=WeightsFileError)
    nbytes = math.prod(shape) * dtype.itemsize
    stored = info.file_size - header_len
    if nbytes != stored:
        rule = f"hold the {nbytes:,} bytes its header claims (shape {shape} of {dtype})"
        raise fail(path, member, rule, f"{stored:,} bytes", error=WeightsFileError)
    return ArrayInfo(tuple(shape), dtype, nbytes)


def read_header(path: str | os.PathLike[str], *, max_bytes: int | None = MAX_BYTES) -> dict[str, ArrayInfo]:
    """``{name: ArrayInfo}`` of an ``.npz`` without reading any array.

    FileNotFoundError for a missing file; :class:`WeightsFileError` (a ValueError) naming the file for
    anything that is not an ``.npz`` of plain arrays whose headers agree with the bytes stored;
    ValueError when its arrays would take more than ``max_bytes`` in memory (None: no limit).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise fail(path, "the weights file", "exist", "nothing at that path", error=FileNotFoundError)
    try:
        out = _read_headers(path)
    except WeightsFileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, SyntaxError, IndexError) as e:
        if isinstance(e, OSError) and not isinstance(e, zipfile.BadZipFile | EOFError):
            if e.filename is not None:
                raise
        raise fail(path, "the file", f"be {_NPZ}", _unreadable(e), error=WeightsFileError) from e
    total = sum(a.nbytes for a in out.values())
    if max_bytes is not None and total > max_bytes:
        rule = f"take at most {max_bytes:,} bytes of memory"
        fix = "pass max_bytes to load a file this large"
        raise fail(path, "its arrays", rule, f"{total:,} bytes", fix)
    return out


def _read_headers(path: str) -> dict[str, ArrayInfo]:
    """``{name: ArrayInfo}`` of the file's members; WeightsFileError for a file that is not an .npz."""
    with open(path, "rb") as f:
        start = f.read(len(_NPY_MAGIC))
    if start == _NPY_MAGIC:
        got, fix = "a single array (.npy)", "save named arrays with tnp.save"
        raise fail(path, "the file", f"be {_NPZ}", got, fix, WeightsFileError)
    if not zipfile.is_zipfile(path):
        got = "an empty file" if not start else "a file that is not a zip archive"
        raise fail(path, "the file", f"be {_NPZ}", got, error=WeightsFileError)
    with zipfile.ZipFile(path) as z:
        out = {}
        for info in z.infolist():
            if not info.filename.endswith(".npy") or info.is_dir():
                got = repr(info.filename)
                raise fail(path, "every member", "be a .npy array", got, error=WeightsFileError)
            out[info.filename[: -len(".npy")]] = _member_info(path, z, info)
    return out


def _unreadable(e: BaseException) -> str:
    """What an error from reading the file says, for "got ...": its type and message."""
    detail = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return f"an unreadable one ({detail})"


def load(path: str | os.PathLike[str], *, max_bytes: int | None = MAX_BYTES) -> dict[str, np.ndarray]:
    """Load a ``.npz`` written by ``save`` into ``{name: array}`` (never unpickles anything).

    The headers are checked first (:func:`read_header`), so a file claiming more than ``max_bytes``
    or more than it holds is rejected before anything is allocated. A missing file raises
    FileNotFoundError; a file that is not a valid ``.npz`` raises ValueError naming the file and
    the reason; running out of memory raises MemoryError naming the file.
    """
    path = os.fspath(path)
    header = read_header(path, max_bytes=max_bytes)
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in header}
    except MemoryError as e:
        total = sum(a.nbytes for a in header.values())
        got = f"{total:,} bytes, more than could be allocated"
        raise fail(path, "its arrays", "fit in memory", got, error=MemoryError) from e
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise fail(path, "the file", f"be {_NPZ}", _unreadable(e), error=WeightsFileError) from e
