"""The character data: vocabulary, the 90/10 split, get_batch, and where input.txt is found."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
from datafiles import SHAKESPEARE, needs_shakespeare_data
from localserver import closed_port_url
from shakespeare_text import TEXT

from models.shakespeare.data import Vocabulary, get_batch, load_text, split_ids
from tinygrad_np.data.datasets import DownloadError, find_tinyshakespeare, load_tinyshakespeare
from tinygrad_np.data.datasets.download import RemoteFile


def test_vocabulary_is_the_sorted_characters_and_round_trips() -> None:
    vocab = Vocabulary.from_text(TEXT)
    assert vocab.chars == "".join(sorted(set(TEXT))) and len(vocab) == len(set(TEXT))
    ids = vocab.encode(TEXT)
    assert ids.dtype == np.int64 and ids.shape == (len(TEXT),)
    assert vocab.decode(ids) == TEXT
    assert vocab.encode("\n")[0] == 0  # "\n" sorts first


def test_unknown_characters_are_named() -> None:
    vocab = Vocabulary.from_text(TEXT)
    with pytest.raises(ValueError, match=r"^--prompt: every character must be in the model's vocabulary of \d+ "
                       r"characters, got 'Zé', not in it; use only these: "):  # fmt: skip
        vocab.encode("éZ", "--prompt")


def test_split_is_the_first_90_percent_and_the_rest() -> None:
    ids = np.arange(1000)
    train, val = split_ids(ids)
    assert len(train) == 900 and len(val) == 100
    np.testing.assert_array_equal(np.concatenate([train, val]), ids)
    train, val = split_ids(np.arange(1115394))
    assert (len(train), len(val)) == (1003854, 111540)  # nanoGPT's shakespeare_char numbers


def test_get_batch_shapes_targets_and_determinism() -> None:
    ids = np.arange(100, dtype=np.uint16)
    x, y = get_batch(ids, 8, 5, np.random.default_rng(0))
    assert x.shape == y.shape == (5, 8) and x.dtype == y.dtype == np.int64
    np.testing.assert_array_equal(y, x + 1)  # the targets are the next tokens
    np.testing.assert_array_equal(x[:, 1:], x[:, :-1] + 1)  # contiguous windows
    assert x.min() >= 0 and y.max() <= 99
    x2, _ = get_batch(ids, 8, 5, np.random.default_rng(0))
    np.testing.assert_array_equal(x, x2)
    starts = np.random.default_rng(0).integers(100 - 8, size=5)  # one draw per batch, as nanoGPT
    np.testing.assert_array_equal(x[:, 0], starts)


def test_get_batch_needs_a_text_longer_than_the_context() -> None:
    with pytest.raises(
        ValueError, match=r"^get_batch: the text must be longer than the context of 8 tokens, got 8"
    ):
        get_batch(np.arange(8), 8, 2, np.random.default_rng(0))


# --- finding input.txt ------------------------------------------------------------------------------


@pytest.fixture
def no_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No TINYGRAD_NP_DATA(_URL); TINYGRAD_NP_CACHE is tmp_path/cache. Returns the Shakespeare cache."""
    monkeypatch.delenv("TINYGRAD_NP_DATA", raising=False)
    monkeypatch.delenv("TINYGRAD_NP_DATA_URL", raising=False)
    monkeypatch.setenv("TINYGRAD_NP_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "tinyshakespeare"


def test_finder_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_env: Path, text_file: Path) -> None:
    assert find_tinyshakespeare(text_file) == text_file / "input.txt"
    assert find_tinyshakespeare(text_file / "input.txt") == text_file / "input.txt"  # the file itself
    nested = tmp_path / "parent" / "tinyshakespeare"
    nested.mkdir(parents=True)
    (nested / "input.txt").write_text("abc")
    assert find_tinyshakespeare(tmp_path / "parent") == nested / "input.txt"
    monkeypatch.setenv("TINYGRAD_NP_DATA", str(tmp_path / "env"))
    assert find_tinyshakespeare(text_file) == text_file / "input.txt"  # the argument beats the environment
    assert find_tinyshakespeare() == tmp_path / "env" / "tinyshakespeare" / "input.txt"
    monkeypatch.delenv("TINYGRAD_NP_DATA")
    with pytest.raises(FileNotFoundError, match=re.escape(f"none verified in {no_env}, and download=False")):
        find_tinyshakespeare(download=False)
    assert not no_env.exists()


def test_load_errors(tmp_path: Path, text_file: Path) -> None:
    assert load_text(text_file) == (TEXT * 20, str(text_file / "input.txt"))
    with pytest.raises(
        FileNotFoundError, match=r"input.txt: the text file must exist, got nothing at that path"
    ):
        load_tinyshakespeare(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "input.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="the file must be UTF-8 text"):
        load_tinyshakespeare(tmp_path / "bad")
    (tmp_path / "bad" / "input.txt").write_text("")
    with pytest.raises(ValueError, match="the file must hold some text, got an empty file"):
        load_tinyshakespeare(tmp_path / "bad")


@pytest.fixture
def pinned(text_file: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's input.txt pinned (size, sha256) in place of the real one."""
    pytest.importorskip("pooch", reason="pooch missing: pip install -e '.[cat]'")
    data = (text_file / "input.txt").read_bytes()
    files = {"input.txt": RemoteFile(len(data), hashlib.sha256(data).hexdigest())}
    monkeypatch.setattr("tinygrad_np.data.datasets.tinyshakespeare.TINYSHAKESPEARE_FILES", files)
    return text_file


def test_download_then_cache(serve, pinned: Path, no_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("TINYGRAD_NP_DATA_URL", serve(pinned))
    assert load_tinyshakespeare() == TEXT * 20
    assert sorted(p.name for p in no_env.iterdir()) == ["input.txt"]
    monkeypatch.setenv("TINYGRAD_NP_DATA_URL", closed_port_url())  # verified cache: no network asked
    assert find_tinyshakespeare() == no_env / "input.txt"


def test_checksum_mismatch_leaves_nothing(serve, pinned: Path, no_env: Path, monkeypatch) -> None:
    (pinned / "input.txt").write_text((TEXT * 20)[:-1] + "?")  # same size, another sha256
    monkeypatch.setenv("TINYGRAD_NP_DATA_URL", serve(pinned))
    with pytest.raises(DownloadError, match=r"input\.txt.*checksum check failed"):
        load_tinyshakespeare()
    assert not no_env.exists()


def test_default_url_is_char_rnn(no_env: Path, monkeypatch) -> None:
    seen: list = []

    def fake_fetch(files, cache, *, base_urls):
        seen.append(list(base_urls))
        raise DownloadError("offline")

    monkeypatch.setattr("tinygrad_np.data.datasets.tinyshakespeare.fetch", fake_fetch)
    with pytest.raises(DownloadError):
        load_tinyshakespeare()
    assert seen == [["https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare"]]


@needs_shakespeare_data
def test_real_file_verifies_and_splits_as_nanogpt() -> None:
    from tinygrad_np.data.datasets import TINYSHAKESPEARE_FILES
    from tinygrad_np.data.datasets.fetch import is_verified

    assert is_verified(SHAKESPEARE, TINYSHAKESPEARE_FILES["input.txt"])
    text, _ = load_text(SHAKESPEARE.parent)
    vocab = Vocabulary.from_text(text)
    assert len(text) == 1115394 and len(vocab) == 65
    assert vocab.chars == "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    train, val = split_ids(vocab.encode(text))
    assert (len(train), len(val)) == (1003854, 111540)
