"""A character-level GPT on Tiny Shakespeare (nanoGPT's ``shakespeare_char``): the data (``data``), the
model (``model``), training (``train``), its files (``files``), the loss curve (``plots``) and the command
line (``cli`` + ``commands``, run as ``python -m models.shakespeare``)."""

from .data import Vocabulary, get_batch, load_text, split_ids
from .model import GPT, GPTConfig

__all__ = ["GPT", "GPTConfig", "Vocabulary", "get_batch", "load_text", "split_ids"]
