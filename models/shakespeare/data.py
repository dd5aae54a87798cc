"""The characters of Tiny Shakespeare as integers, split and batched as nanoGPT's ``shakespeare_char``.

text = load_text(args.data)                      # --data DIR, $TINYGRAD_NP_DATA, the cache, a download
vocab = Vocabulary.from_text(text)               # the 65 distinct characters, sorted
train, val = split_ids(vocab.encode(text))       # the first 90 % trains, the last 10 % validates
x, y = get_batch(train, block_size=64, batch_size=12, rng=np.random.default_rng(0))
x.shape, y.shape                                 # (12, 64), (12, 64) int64; y is x shifted by one
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from tinygrad_np.validation import fail

TRAIN_FRACTION = 0.9


@dataclass(frozen=True)
class Vocabulary:
    """The characters a model knows, in order: character ``chars[i]`` is token ``i``."""

    chars: str

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """Every distinct character of ``text``, sorted (nanoGPT: ``sorted(list(set(data)))``)."""
        return cls("".join(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str, who: str = "text") -> np.ndarray:
        """The token ids (int64, one per character); ValueError naming the characters it does not know."""
        index = {c: i for i, c in enumerate(self.chars)}
        unknown = sorted(set(text) - index.keys())
        if unknown:
            raise fail(
                who,
                "every character",
                f"be in the model's vocabulary of {len(self.chars)} characters",
                f"{''.join(unknown)!r}, not in it",
                f"use only these: {self.chars!r}",
            )
        ids = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The text of token ids."""
        return "".join(self.chars[int(i)] for i in ids)


def load_text(data: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """(the text, where it was read) of Tiny Shakespeare's input.txt: ``data`` (a folder or the file),
    else ``$TINYGRAD_NP_DATA/tinyshakespeare/``, else the user cache, else a checksummed download."""
    from tinygrad_np.data.datasets import find_tinyshakespeare, load_tinyshakespeare

    return load_tinyshakespeare(data), str(find_tinyshakespeare(data))


def split_ids(ids: np.ndarray, train_fraction: float = TRAIN_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """The first ``train_fraction`` of the tokens and the rest (nanoGPT: ``n = len(data); data[:int(n *
    0.9)]``): contiguous pieces, not shuffled, so validation text was never seen in training."""
    n = int(len(ids) * train_fraction)
    return ids[:n], ids[n:]


def get_batch(
    ids: np.ndarray, block_size: int, batch_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``batch_size`` random windows of ``block_size`` tokens (x) and the same windows one token later
    (y, the targets: after x[b, :t+1] comes y[b, t]); both (batch_size, block_size) int64.

    The starts are ``rng.integers(len(ids) - block_size, size=batch_size)``, as nanoGPT's
    ``torch.randint(len(data) - block_size, (batch_size,))``: one draw per batch from ``rng``.
    """
    if len(ids) <= block_size:
        rule = f"be longer than the context of {block_size} tokens"
        raise fail(
            "get_batch", "the text", rule, f"{len(ids)} tokens", "use a longer text or a smaller --block-size"
        )
    starts = rng.integers(len(ids) - block_size, size=batch_size)
    window = starts[:, None] + np.arange(block_size)
    return ids[window].astype(np.int64), ids[window + 1].astype(np.int64)
