"""Shared fixtures of the shakespeare tests: a small text written by the test, and a tiny GPT config."""

from __future__ import annotations

from pathlib import Path

import pytest

# Every character of it is in the vocabulary it builds (23 distinct characters).
TEXT = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n"
    "First Citizen:\nYou are all resolved rather to die than to famish?\n\n"
)


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    """A folder holding input.txt: TEXT repeated 20 times (2,780 characters)."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "input.txt").write_text(TEXT * 20)
    return folder


TINY = ["--n-layer", "1", "--n-head", "2", "--n-embd", "16", "--block-size", "8", "--batch-size", "4"]
