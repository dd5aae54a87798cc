"""Saving and loading arrays: ``.npz`` files without pickle, written atomically.

Loading reads every array's header first (:func:`read_header`): names, shapes and dtypes are
checked, and the sizes the headers claim are compared with the bytes actually stored, before any
array is allocated. A file that is not an ``.npz`` of plain arrays raises ValueError naming it.
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

# Leftovers of a killed write: ".tmp-<8 random characters>-<file name>" (tempfile.mkstemp's pattern).
TMP_PREFIX = ".tmp-"
_TMP_NAME = re.compile(r"\.tmp-[a-z0-9_]{8}-.+")
# Temporary files older than this (seconds) in a folder we write to are removed as stale.
STALE_SECONDS = 3600.0
# The most a load() may allocate, in bytes, unless the caller passes max_bytes.
MAX_BYTES = 8 << 30
_NPY_MAGIC = b"\x93NUMPY"


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
    remove_stale(directory)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix="-" + os.path.basename(path), dir=directory)
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
        if isinstance(e, OSError) and e.errno is not None and e.filename is None:
            raise OSError(e.errno, f"{e.strerror} (writing {path}; nothing was changed)", path) from e
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
        raise TypeError(f"save() takes a model or a dict of arrays, got {type(obj).__name__}")
    arrays = {str(k): np.asarray(v) for k, v in state.items()}
    for k, v in arrays.items():
        if v.dtype == object:
            raise TypeError(f"save(): {k!r} is an object array, which would need pickle")
    with atomic_write(path) as f:
        np.savez(f, **arrays)  # type: ignore[arg-type]  # (numpy stubs take the first kwarg for allow_pickle)


class ArrayInfo(NamedTuple):
    """What an ``.npy`` header inside an ``.npz`` says: shape, dtype and size in bytes."""

    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int


def _member_info(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> ArrayInfo:
    """Parse one member's ``.npy`` header and check it against the bytes stored (ValueError)."""
    with z.open(info) as f:
        if f.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
            raise ValueError(f"{info.filename!r} is not a .npy array")
        version = (f.read(1)[0], f.read(1)[0])
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"{info.filename!r} has .npy format version {version}, expected 1.0 or 2.0")
        header_len = f.tell()
    if dtype.hasobject or dtype.kind not in "biufcUS":
        raise ValueError(f"{info.filename!r} has dtype {dtype}, which would need pickle or is not plain data")
    nbytes = math.prod(shape) * dtype.itemsize
    stored = info.file_size - header_len
    if nbytes != stored:
        raise ValueError(
            f"{info.filename!r} claims shape {shape} of {dtype} ({nbytes:,} bytes) but holds {stored:,} bytes"
        )
    return ArrayInfo(tuple(shape), dtype, nbytes)


def read_header(path: str | os.PathLike[str], *, max_bytes: int | None = MAX_BYTES) -> dict[str, ArrayInfo]:
    """``{name: ArrayInfo}`` of an ``.npz`` without reading any array.

    FileNotFoundError for a missing file; ValueError naming the file for anything that is not an
    ``.npz`` of plain arrays whose headers agree with the bytes stored, or whose arrays would take
    more than ``max_bytes`` in memory (None: no limit).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such weights file")
    try:
        with open(path, "rb") as f:
            start = f.read(len(_NPY_MAGIC))
        if start == _NPY_MAGIC:
            raise ValueError("it holds a single array (.npy), not named arrays (.npz); save with tnp.save")
        if not zipfile.is_zipfile(path):
            raise ValueError("it is not an .npz file (a zip archive of .npy arrays)")
        with zipfile.ZipFile(path) as z:
            out = {}
            for info in z.infolist():
                if not info.filename.endswith(".npy") or info.is_dir():
                    raise ValueError(f"it holds {info.filename!r}, which is not an .npy array")
                out[info.filename[: -len(".npy")]] = _member_info(z, info)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, SyntaxError, IndexError) as e:
        if isinstance(e, OSError) and not isinstance(e, zipfile.BadZipFile | EOFError):
            if e.filename is not None:
                raise
        raise ValueError(f"{path}: not a readable tinygrad_np .npz weights file ({e})") from e
    total = sum(a.nbytes for a in out.values())
    if max_bytes is not None and total > max_bytes:
        raise ValueError(
            f"{path}: its arrays would take {total:,} bytes of memory, more than the {max_bytes:,} allowed "
            "(pass max_bytes to load a file this large)"
        )
    return out


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
        raise MemoryError(f"{path}: not enough memory to load its {total:,} bytes of arrays") from e
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise ValueError(f"{path}: not a readable tinygrad_np .npz weights file ({e})") from e
