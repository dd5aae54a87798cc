"""The Fashion-MNIST loader: IDX headers (good, corrupt, truncated, wrong magic; gz and raw), the finder
order, and the checksummed download against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
from datafiles import FASHION, FASHION_FILES, needs_fashion_data
from idxfiles import idx_bytes, synthetic_split, write_fashion_folder, write_idx
from localserver import closed_port_url

from tinygrad_np.data.datasets import (
    FASHION_MNIST_CLASSES,
    DownloadError,
    IDXError,
    find_fashion_mnist_dir,
    flat,
    load_fashion_mnist,
    read_idx,
)
from tinygrad_np.data.datasets.fashion_mnist import IMAGES_MAGIC, LABELS_MAGIC, RemoteFile

# --- read_idx -------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_roundtrip(tmp_path: Path, gz: bool) -> None:
    images, labels = synthetic_split(7, seed=3)
    p = write_idx(tmp_path / ("img.gz" if gz else "img"), idx_bytes(images))
    q = write_idx(tmp_path / ("lab.gz" if gz else "lab"), idx_bytes(labels))
    np.testing.assert_array_equal(read_idx(p, IMAGES_MAGIC, (28, 28)), images)
    np.testing.assert_array_equal(read_idx(q, LABELS_MAGIC), labels)


def test_raw_bytes_in_a_gz_named_file_are_an_error(tmp_path: Path) -> None:
    p = write_idx(tmp_path / "x.gz", idx_bytes(np.zeros((2, 28, 28))), gz=False)
    with pytest.raises(
        IDXError, match=r"x\.gz: a \.gz file must start with the gzip signature 1f 8b, got the bytes 00 00$"
    ):
        read_idx(p, IMAGES_MAGIC)


def test_wrong_magic_names_both_kinds(tmp_path: Path) -> None:
    labels = write_idx(tmp_path / "labels.gz", idx_bytes(np.zeros(5)))
    with pytest.raises(
        IDXError,
        match=r"labels\.gz: the magic number must be 0x00000803 \(IDX images\), got 0x00000801 \(IDX labels\)$",
    ):
        read_idx(labels, IMAGES_MAGIC, (28, 28))
    other = write_idx(tmp_path / "other", b"PK\x03\x04" + bytes(20))
    with pytest.raises(
        IDXError,
        match=r"other: the magic number must be 0x00000801 \(IDX labels\), got 0x504b0304 \(not an IDX ubyte file\)$",
    ):
        read_idx(other, LABELS_MAGIC)


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize(
    ("cut", "message"),
    [
        (2, r"t(\.gz)?: the file must hold the 4-byte IDX magic number, got 2 bytes \(truncated\)$"),
        (
            10,
            r"t(\.gz)?: the file must hold the 16-byte header of a 3-d IDX file, got 10 bytes \(a truncated header\)$",
        ),
        (
            16 + 28 * 28 + 5,
            r"t(\.gz)?: the file must be 1584 bytes( uncompressed)? as its header \(2, 28, 28\) promises, "
            r"got 805 bytes \(truncated\)$",
        ),
    ],
)
def test_truncated_idx(tmp_path: Path, gz: bool, cut: int, message: str) -> None:
    data = idx_bytes(np.ones((2, 28, 28)))[:cut]
    p = write_idx(tmp_path / ("t.gz" if gz else "t"), data, gz)
    with pytest.raises(IDXError, match=message):
        read_idx(p, IMAGES_MAGIC, (28, 28))


def test_trailing_bytes_and_wrong_size(tmp_path: Path) -> None:
    p = write_idx(tmp_path / "long", idx_bytes(np.ones((2, 28, 28))) + b"\0")
    with pytest.raises(
        IDXError,
        match=r"long: the file must be 1584 bytes as its header \(2, 28, 28\) promises, got 1585 bytes \(trailing bytes\)$",
    ):
        read_idx(p, IMAGES_MAGIC, (28, 28))
    q = write_idx(tmp_path / "small", idx_bytes(np.ones((2, 32, 32))))
    with pytest.raises(IDXError, match=r"small: the header's item shape must be \(28, 28\), got \(32, 32\)$"):
        read_idx(q, IMAGES_MAGIC, (28, 28))


def test_truncated_and_corrupt_gzip(tmp_path: Path) -> None:
    packed = gzip.compress(idx_bytes(np.arange(2 * 28 * 28).reshape(2, 28, 28) % 251), mtime=0)
    short = tmp_path / "short.gz"
    short.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(
        IDXError,
        match=r"short\.gz: the gzip file must be complete, got a truncated one \(the compressed stream ends early\)$",
    ):
        read_idx(short, IMAGES_MAGIC)
    bad = bytearray(packed)
    bad[-6] ^= 0xFF  # the CRC-32 of the trailer
    (tmp_path / "crc.gz").write_bytes(bytes(bad))
    with pytest.raises(
        IDXError, match=r"crc\.gz: the gzip file must be intact, got a corrupt one \(CRC check failed"
    ):
        read_idx(tmp_path / "crc.gz", IMAGES_MAGIC)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.gz: the file must exist, got nothing at that path$"):
        read_idx(tmp_path / "nope.gz", IMAGES_MAGIC)


# --- load_fashion_mnist on synthetic folders --------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_load_synthetic_folder(tmp_path: Path, gz: bool) -> None:
    folder = write_fashion_folder(tmp_path / "fm", n_train=30, n_test=20, gz=gz)
    d = load_fashion_mnist(folder)
    images, labels = synthetic_split(30, seed=0)
    assert d.x_train.shape == (30, 1, 28, 28) and d.x_train.dtype == np.float32
    assert d.y_train.dtype == np.int64 and d.y_test.shape == (20,)
    np.testing.assert_array_equal(d.y_train, labels)
    np.testing.assert_allclose(d.x_train[:, 0], images / 255, rtol=1e-6)
    assert d.classes == FASHION_MNIST_CLASSES and d.source == str(folder)
    view = flat(d.x_train)
    assert view.shape == (30, 784) and np.shares_memory(view, d.x_train)
    assert load_fashion_mnist(folder, dtype=np.float64).x_test.dtype == np.float64


def test_load_errors(tmp_path: Path) -> None:
    folder = write_fashion_folder(tmp_path / "fm", n_train=20, n_test=10)
    with pytest.raises(TypeError, match="dtype must be a float type"):
        load_fashion_mnist(folder, dtype=np.uint8)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.zeros(9)))
    with pytest.raises(
        IDXError,
        match=r"t10k-labels-idx1-ubyte\.gz: the number of labels must equal the 10 images of "
        + re.escape(str(folder / "t10k-images-idx3-ubyte.gz"))
        + ", got 9$",
    ):
        load_fashion_mnist(folder)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.full(10, 10)))
    with pytest.raises(
        IDXError, match=r"t10k-labels-idx1-ubyte\.gz: the labels must be class indices 0\.\.9, got label 10$"
    ):
        load_fashion_mnist(folder)
    (folder / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(
        FileNotFoundError,
        match=r"fm: the folder must hold the four Fashion-MNIST files, got no train-images-idx3-ubyte\.gz$",
    ):
        load_fashion_mnist(folder)


# --- the finder order -------------------------------------------------------------------------------


@pytest.fixture
def no_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No TINYGRAD_NP_DATA(_URL); TINYGRAD_NP_CACHE is tmp_path/cache. Returns the Fashion-MNIST cache."""
    monkeypatch.delenv("TINYGRAD_NP_DATA", raising=False)
    monkeypatch.delenv("TINYGRAD_NP_DATA_URL", raising=False)
    monkeypatch.setenv("TINYGRAD_NP_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "fashion-mnist"


def test_finder_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_env: Path) -> None:
    explicit = write_fashion_folder(tmp_path / "explicit", 10, 10)
    assert find_fashion_mnist_dir(explicit) == explicit
    parent = tmp_path / "parent"
    write_fashion_folder(parent / "fashion-mnist", 10, 10)
    assert find_fashion_mnist_dir(parent) == parent / "fashion-mnist"  # its fashion-mnist/ sub-folder
    monkeypatch.setenv("TINYGRAD_NP_DATA", str(tmp_path / "env"))
    assert find_fashion_mnist_dir(explicit) == explicit  # the argument beats the environment
    assert find_fashion_mnist_dir() == tmp_path / "env" / "fashion-mnist"
    monkeypatch.delenv("TINYGRAD_NP_DATA")
    message = (
        "Fashion-MNIST: the files must be in a given folder, $TINYGRAD_NP_DATA/fashion-mnist or the verified "
        f"cache, got none verified in {no_env}, and download=False; pass --data DIR, set TINYGRAD_NP_DATA (to a "
        f"folder with a fashion-mnist/ sub-folder), or allow the download into {no_env}"
    )
    with pytest.raises(FileNotFoundError, match=f"^{re.escape(message)}$"):
        find_fashion_mnist_dir(download=False)
    assert not no_env.exists()


# --- the download, served from 127.0.0.1 ------------------------------------------------------------


@pytest.fixture
def pinned_synthetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A served folder of synthetic files, pinned (size, sha256) in place of the real ones."""
    pytest.importorskip("pooch", reason="pooch missing: pip install -e '.[cat]'")
    served = write_fashion_folder(tmp_path / "served", 40, 20)
    files = {}
    for p in sorted(served.iterdir()):
        data = p.read_bytes()
        files[p.name] = RemoteFile(len(data), hashlib.sha256(data).hexdigest())
    monkeypatch.setattr("tinygrad_np.data.datasets.fashion_mnist.FASHION_MNIST_FILES", files)
    return served


def test_download_then_cache(serve, pinned_synthetic: Path, no_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("TINYGRAD_NP_DATA_URL", serve(pinned_synthetic))
    d = load_fashion_mnist()
    assert d.source == str(no_env) and d.x_train.shape == (40, 1, 28, 28)
    assert sorted(p.name for p in no_env.iterdir()) == sorted(p.name for p in pinned_synthetic.iterdir())
    monkeypatch.setenv("TINYGRAD_NP_DATA_URL", closed_port_url())  # verified cache: no network asked
    assert load_fashion_mnist().source == str(no_env)


def test_checksum_mismatch_leaves_nothing(serve, pinned_synthetic: Path, no_env: Path, monkeypatch) -> None:
    target = pinned_synthetic / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF  # same size, another sha256
    target.write_bytes(bytes(data))
    monkeypatch.setenv("TINYGRAD_NP_DATA_URL", serve(pinned_synthetic))
    with pytest.raises(DownloadError, match=r"t10k-labels-idx1-ubyte\.gz.*checksum check failed"):
        load_fashion_mnist()
    assert not no_env.exists()


def test_default_urls_are_the_publishers(pinned_synthetic: Path, no_env: Path, monkeypatch) -> None:
    seen: list = []

    def fake_fetch(files, cache, *, base_urls):
        seen.append(list(base_urls))
        raise DownloadError("offline")

    monkeypatch.setattr("tinygrad_np.data.datasets.fashion_mnist.fetch", fake_fetch)
    with pytest.raises(DownloadError):
        load_fashion_mnist()
    assert seen and "zalandoresearch/fashion-mnist" in seen[0][0] and "fashion-mnist.s3" in seen[0][1]


# --- the real files ---------------------------------------------------------------------------------


@needs_fashion_data
def test_real_files_verify_and_load(tmp_path: Path) -> None:
    from tinygrad_np.data.datasets import FASHION_MNIST_FILES
    from tinygrad_np.data.datasets.fetch import is_verified

    assert set(FASHION_MNIST_FILES) == set(FASHION_FILES)
    assert all(is_verified(FASHION / n, rf) for n, rf in FASHION_MNIST_FILES.items())
    d = load_fashion_mnist(FASHION)
    assert d.x_train.shape == (60000, 1, 28, 28) and d.x_test.shape == (10000, 1, 28, 28)
    assert float(d.x_train.min()) == 0.0 and float(d.x_train.max()) == 1.0
    np.testing.assert_array_equal(np.bincount(d.y_train), np.full(10, 6000))
    np.testing.assert_array_equal(np.bincount(d.y_test), np.full(10, 1000))
    # A truncated copy of a real file says so (the other three are links to the real ones).
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in FASHION_FILES:
        (copy / name).symlink_to(FASHION / name)
    labels = "t10k-labels-idx1-ubyte.gz"
    (copy / labels).unlink()
    (copy / labels).write_bytes(gzip.compress(gzip.decompress((FASHION / labels).read_bytes())[:-100]))
    with pytest.raises(
        IDXError,
        match=r"t10k-labels-idx1-ubyte\.gz: the file must be 10008 bytes uncompressed as its header \(10000,\) "
        r"promises, got 9908 bytes \(truncated\)$",
    ):
        load_fashion_mnist(copy)
