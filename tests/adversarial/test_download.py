"""Hostile download servers on 127.0.0.1: slow, silent, endless, oversized, tampered; and URLs that
are not http(s). Every fetch ends within its deadline with a DownloadError saying why, and leaves
nothing behind in the cache.

The time bounds asserted here are generous multiples of the deadline: they check that a download
*ends*, not how fast anything runs.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("pooch", reason="pooch missing: pip install -e '.[cat]'")

from tinygrad_np import serialization
from tinygrad_np.data.datasets import DownloadError, fetch
from tinygrad_np.data.datasets.fetch import TIMEOUT_ENV, RemoteFile, download_timeout

DATA = b"tinygrad_np test file\n" * 50  # 1100 bytes
PINNED = {"a.bin": RemoteFile(len(DATA), hashlib.sha256(DATA).hexdigest())}


class Hostile(http.server.BaseHTTPRequestHandler):
    """The first path segment picks the behaviour: /good/, /slow/, /silent/, /endless/,
    /oversized/, /lying/ (announces the right size, sends more), /tampered/."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        try:
            self.send_response(200)
            if mode == "oversized":
                self.send_header("Content-Length", str(10**12))
            elif mode not in ("endless",):
                self.send_header("Content-Length", str(len(DATA)))
            self.end_headers()
            if mode == "good":
                self.wfile.write(DATA)
            elif mode == "tampered":
                self.wfile.write(b"X" + DATA[1:])
            elif mode == "slow":
                for byte in DATA:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(1.0)
            elif mode == "silent":
                time.sleep(30)
            elif mode in ("endless", "oversized", "lying"):
                chunk = b"\0" * (1 << 16)
                for _ in range(1 << 20):  # up to 64 GiB: far more than anyone should accept
                    self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should


@pytest.fixture
def hostile() -> Iterator[Callable[[str], str]]:
    """hostile(mode) -> a base URL on 127.0.0.1 serving ``a.bin`` in that mode."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield lambda mode: f"http://127.0.0.1:{server.server_address[1]}/{mode}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def deadline_2s(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "2")


def failing_fetch(tmp_path: Path, url: str, match: str) -> float:
    """fetch() from ``url`` must raise DownloadError matching ``match`` and leave no cache; the time taken."""
    cache = tmp_path / "cache"
    start = time.monotonic()
    with pytest.raises(DownloadError, match=match) as info:
        fetch(PINNED, cache, base_urls=[url])
    first, *failures, saved = str(info.value).splitlines()
    assert (
        first
        == "fetch: a.bin must be downloaded from one of the URLs with its pinned size and sha256, got these failures:"
    )
    assert failures and failures[0].startswith(f"  {url}/a.bin: ")
    assert (
        saved
        == f"Nothing was saved in {cache}. To use files you already have, pass --data DIR or set TINYGRAD_NP_DATA."
    )
    assert not cache.exists()
    return time.monotonic() - start


def test_a_good_server_still_works(hostile, tmp_path: Path) -> None:
    cache = fetch(PINNED, tmp_path / "cache", base_urls=[hostile("good")])
    assert (cache / "a.bin").read_bytes() == DATA
    assert sorted(os.listdir(cache)) == ["a.bin"]


def test_one_byte_per_second_stops_at_the_deadline(hostile, tmp_path: Path, deadline_2s) -> None:
    took = failing_fetch(
        tmp_path, hostile("slow"), r"(?s)stopped at the download deadline.*deadline of 2 s passed"
    )
    assert took < 20


def test_a_silent_server_stops_at_the_deadline(hostile, tmp_path: Path, deadline_2s) -> None:
    took = failing_fetch(
        tmp_path, hostile("silent"), r"(?s)stopped at the download deadline.*deadline of 2 s"
    )
    assert took < 20


def test_an_endless_stream_stops_at_the_pinned_size(hostile, tmp_path: Path) -> None:
    failing_fetch(
        tmp_path,
        hostile("endless"),
        r"endless/a\.bin: the file must be 1,100 bytes \(its pinned size\), got more bytes sent by the server "
        r"\(the download was stopped there\)\n",
    )


def test_a_content_length_of_10_12_is_refused_before_any_byte(hostile, tmp_path: Path) -> None:
    failing_fetch(
        tmp_path,
        hostile("oversized"),
        r"oversized/a\.bin: the file must be 1,100 bytes \(its pinned size\), got 1,000,000,000,000 bytes "
        r"announced by the server\n",
    )


def test_a_server_sending_more_than_it_announced_is_cut_off(hostile, tmp_path: Path) -> None:
    # Only the announced (pinned) number of bytes is read; they are the wrong bytes.
    failing_fetch(tmp_path, hostile("lying"), r"checksum check failed")


def test_tampered_bytes_fail_the_checksum(hostile, tmp_path: Path) -> None:
    failing_fetch(tmp_path, hostile("tampered"), r"checksum check failed")


def test_a_file_url_is_reported_as_such(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "a.bin").write_bytes(DATA)
    failing_fetch(
        tmp_path, served.as_uri(), r"a file URL, but only http:// and https:// are downloaded; .*--data DIR"
    )


def test_the_deadline_falls_back_to_the_next_mirror_only_while_time_is_left(
    hostile, tmp_path, deadline_2s
) -> None:
    # The first mirror eats the whole deadline: the good second one is not tried after it.
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError, match="deadline"):
        fetch(PINNED, cache, base_urls=[hostile("slow"), hostile("good")])
    # A failing first mirror that fails fast leaves time for the second.
    assert fetch(PINNED, cache, base_urls=[hostile("tampered"), hostile("good")]) == cache


@pytest.mark.parametrize("raw", ["0", "-5", "soon", "nan", "inf"])
def test_a_bad_timeout_variable_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, raw)
    with pytest.raises(
        ValueError, match=rf"^fetch: {TIMEOUT_ENV} must be a number of seconds > 0, got '{raw}'$"
    ):
        download_timeout()


def test_the_timeout_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TIMEOUT_ENV, "12.5")
    assert download_timeout() == 12.5
    monkeypatch.delenv(TIMEOUT_ENV)
    assert download_timeout() > 60  # the default allows a slow but working connection


def test_stale_staging_folders_are_removed_by_the_next_fetch(hostile, tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    stale = cache / ".download-abcd1234"
    stale.mkdir(parents=True)
    (stale / "a.bin.part").write_bytes(b"half")
    old = time.time() - 2 * serialization.STALE_SECONDS
    os.utime(stale, (old, old))
    fresh = cache / ".download-zzzz9999"  # a concurrent fetch: recent, kept
    fresh.mkdir()
    mine = cache / ".download-notes"  # not our pattern: kept
    mine.mkdir()
    os.utime(mine, (old, old))
    fetch(PINNED, cache, base_urls=[hostile("good")])
    assert sorted(os.listdir(cache)) == [".download-notes", ".download-zzzz9999", "a.bin"]
