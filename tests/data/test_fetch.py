"""The download path, against a local HTTP server on 127.0.0.1 (no outside network needed)."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("pooch", reason="pooch missing: pip install -e '.[cat]'")

from datafiles import DATA as REAL
from datafiles import needs_cat_data as needs_real_data
from localserver import closed_port_url

from tinygrad_np.data.datasets import (
    CATVNONCAT_FILES,
    DownloadError,
    fetch,
    find_data_dir,
    load_dataset,
)
from tinygrad_np.data.datasets.fetch import RemoteFile


def remote(data: bytes) -> RemoteFile:
    return RemoteFile(len(data), hashlib.sha256(data).hexdigest())


@pytest.fixture
def synthetic(tmp_path: Path) -> tuple[Path, dict[str, RemoteFile]]:
    """A served folder with two small files and their pinned size / sha256."""
    served = tmp_path / "served"
    served.mkdir()
    files = {}
    for name, data in [("a.bin", b"alpha" * 1000), ("b.bin", b"beta" * 300)]:
        (served / name).write_bytes(data)
        files[name] = remote(data)
    return served, files


def test_download_verified_files(serve, synthetic, tmp_path: Path) -> None:
    served, files = synthetic
    cache = tmp_path / "cache"
    assert fetch(files, cache, base_urls=[serve(served)]) == cache
    assert sorted(p.name for p in cache.iterdir()) == ["a.bin", "b.bin"]  # no staging left
    assert (cache / "a.bin").read_bytes() == (served / "a.bin").read_bytes()
    # Already cached and verified: no network needed.
    assert fetch(files, cache, base_urls=[closed_port_url()]) == cache


@pytest.mark.parametrize("damage", ["same size, wrong bytes", "truncated"])
def test_corrupted_download_leaves_nothing(serve, synthetic, tmp_path: Path, damage) -> None:
    served, files = synthetic
    data = (served / "b.bin").read_bytes()
    bad = b"X" + data[1:] if damage == "same size, wrong bytes" else data[:-10]
    (served / "b.bin").write_bytes(bad)
    cache = tmp_path / "cache"
    base = serve(served)
    with pytest.raises(DownloadError) as info:
        fetch(files, cache, base_urls=[base])
    first, failure, saved = str(info.value).splitlines()
    assert (
        first
        == "fetch: b.bin must be downloaded from one of the URLs with its pinned size and sha256, got these failures:"
    )
    url = f"{base}/b.bin"
    if damage == "truncated":  # the server announces the size it has: refused before any byte is read
        size = files["b.bin"].size
        assert (
            failure
            == f"  {url}: the file must be {size:,} bytes (its pinned size), got {size - 10:,} bytes announced by the server"
        )
    else:
        assert failure.startswith(f"  {url}: checksum check failed: ")
    assert (
        saved
        == f"Nothing was saved in {cache}. To use files you already have, pass --data DIR or set TINYGRAD_NP_DATA."
    )
    assert not cache.exists()  # a.bin downloaded fine but is not kept either: all or nothing


def test_existing_cache_kept_on_failure(synthetic, tmp_path: Path) -> None:
    _, files = synthetic
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "unrelated.txt").write_text("keep me")
    with pytest.raises(DownloadError, match="network error"):
        fetch(files, cache, base_urls=[closed_port_url()])
    assert [p.name for p in cache.iterdir()] == ["unrelated.txt"]


def test_missing_remote_file_404(serve, synthetic, tmp_path: Path) -> None:
    served, files = synthetic
    (served / "a.bin").unlink()
    with pytest.raises(DownloadError, match=r"a\.bin.*404"):
        fetch(files, tmp_path / "cache", base_urls=[serve(served)])
    assert not (tmp_path / "cache").exists()


def test_falls_back_to_second_mirror(serve, synthetic, tmp_path: Path) -> None:
    served, files = synthetic
    fetch(files, tmp_path / "cache", base_urls=[closed_port_url(), serve(served) + "/"])
    assert (tmp_path / "cache" / "b.bin").stat().st_size == files["b.bin"].size


def test_corrupted_cache_file_is_replaced(serve, synthetic, tmp_path: Path) -> None:
    served, files = synthetic
    cache = tmp_path / "cache"
    fetch(files, cache, base_urls=[serve(served)])
    (cache / "a.bin").write_bytes(b"tampered")
    fetch(files, cache, base_urls=[serve(served)])
    assert (cache / "a.bin").read_bytes() == (served / "a.bin").read_bytes()


def test_no_download_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TINYGRAD_NP_DATA", raising=False)
    cache = tmp_path / "empty"
    message = (
        "cat data: the files must be in a given folder, $TINYGRAD_NP_DATA or the verified cache, got none "
        f"verified in {cache}, and download=False; pass --data DIR, set TINYGRAD_NP_DATA, or allow the download "
        f"into {cache}"
    )
    with pytest.raises(FileNotFoundError, match=f"^{re.escape(message)}$"):
        find_data_dir(download=False, cache_dir=cache)


def test_explicit_folder_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYGRAD_NP_DATA", str(tmp_path / "env"))
    assert find_data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert find_data_dir() == tmp_path / "env"


# --- the pinned cat files, served from copies of the real data ----------------------------------


@pytest.fixture
def no_env_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No TINYGRAD_NP_DATA; the cache is an empty folder under tmp_path. Returns the cache."""
    monkeypatch.delenv("TINYGRAD_NP_DATA", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("TINYGRAD_NP_CACHE", str(cache))
    return cache


@needs_real_data
def test_pinned_download_then_load(serve, tmp_path: Path, no_env_data: Path, monkeypatch) -> None:
    served = tmp_path / "served"
    served.mkdir()
    for name in CATVNONCAT_FILES:
        shutil.copyfile(REAL / name, served / name)
    monkeypatch.setenv("TINYGRAD_NP_DATA_URL", serve(served))
    d = load_dataset()
    assert d.source == str(no_env_data)
    assert d.x_train.shape == (209, 12288) and d.y_test.sum() == 33
    assert sorted(p.name for p in no_env_data.iterdir()) == sorted(CATVNONCAT_FILES)
    # Second time: found in the cache, the server is not asked.
    monkeypatch.setenv("TINYGRAD_NP_DATA_URL", closed_port_url())
    assert load_dataset().source == str(no_env_data)


@needs_real_data
def test_pinned_download_corrupted_copy(serve, tmp_path: Path, no_env_data: Path, monkeypatch):
    served = tmp_path / "served"
    served.mkdir()
    for name in CATVNONCAT_FILES:
        shutil.copyfile(REAL / name, served / name)
    data = bytearray((served / "test_catvnoncat.h5").read_bytes())
    data[5000] ^= 0xFF  # one flipped byte: same size, wrong sha256
    (served / "test_catvnoncat.h5").write_bytes(bytes(data))
    monkeypatch.setenv("TINYGRAD_NP_DATA_URL", serve(served))
    with pytest.raises(DownloadError, match=r"test_catvnoncat\.h5.*checksum check failed"):
        load_dataset()
    assert not no_env_data.exists()
