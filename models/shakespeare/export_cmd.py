"""``python -m models.shakespeare export --weights W --onnx gpt.onnx``: the trained GPT as an ONNX file.

The file takes ``input``: (batch, time) int64 token ids (time fixed when exporting, block_size by default;
the vocabulary is the weights file's) and gives ``output``: (batch, time, vocab) logits of the next token at
every position, computed in the weights' dtype.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import tinygrad_np as tnp
from models.onnx_check import onnxruntime_check
from tinygrad_np.export import to_onnx

from .files import load_weights
from .model import GPT


class GPTLogits(tnp.Module):
    """The GPT with one output, the logits at every position (``GPT.forward`` also returns the loss)."""

    def __init__(self, gpt: GPT) -> None:
        super().__init__()
        self.gpt = gpt

    def forward(self, idx: Any) -> tnp.Tensor:
        """idx (B, T) int Tensor → (B, T, vocab)."""
        return self.gpt.logits(idx)


def add_export_parser(sub: Any, epilog: str, positive_int: Any) -> None:
    """Add the ``export`` subcommand to the shakespeare CLI's subparsers."""
    x = sub.add_parser(
        "export",
        help="write trained weights as an ONNX file (checked with onnxruntime when installed)",
        description="Write the GPT as ONNX: (batch, time) int64 token ids -> (batch, time, vocab) logits.",
        epilog=epilog,
    )
    x.add_argument("--weights", required=True, metavar="FILE", help="weights.npz written by train")
    x.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")
    x.add_argument("--time", type=positive_int, metavar="T", help="tokens per row (default: block_size)")


def cmd_export(args: argparse.Namespace) -> int:
    """Write the ONNX file, then (if onnxruntime is installed) check it gives the model's logits."""
    gpt, _ = load_weights(args.weights)
    time = args.time or gpt.config.block_size
    if time > gpt.config.block_size:
        raise ValueError(f"--time must be at most the model's block_size {gpt.config.block_size}, got {time}")
    model = GPTLogits(gpt)
    to_onnx(model, args.onnx, (time,), input_dtype=np.int64)
    dtype = gpt.wte.weight.dtype
    print(f"Wrote {args.onnx}: input 'input' (batch, {time}) int64 -> output 'output' "
          f"(batch, {time}, {gpt.config.vocab_size}) {dtype} logits")  # fmt: skip
    ids = np.random.default_rng(0).integers(0, gpt.config.vocab_size, (4, time))
    print(onnxruntime_check(args.onnx, ids, lambda v: _logits(model, v), "in the logits of 4 rows"))
    return 0


def _logits(model: GPTLogits, ids: np.ndarray) -> np.ndarray:
    with tnp.no_grad():
        return model(tnp.Tensor(ids)).data
