"""``python -m models.fashion export --weights W --onnx model.onnx``: a trained Fashion-MNIST model as ONNX.

The file takes images (batch, 1, 28, 28) in [0, 1] (input "input") and gives logits (batch, 10) (output
"output"). onnxruntime has no float64 Conv on the CPU: export CNNs with ``--dtype float32``.
"""

from __future__ import annotations

import argparse

import numpy as np

from models.cat.export_cmd import add_export_parser
from models.onnx_check import onnxruntime_check
from tinygrad_np.export import to_onnx

from .model import IMAGE_SHAPE, load_model, predict_logits

__all__ = ["add_export_parser", "cmd_export"]


def cmd_export(args: argparse.Namespace) -> int:
    """Write the ONNX file, then (if onnxruntime is installed) check it gives the model's logits."""
    model = load_model(args.weights)
    if args.dtype:
        model.to(args.dtype)
    to_onnx(model, args.onnx, IMAGE_SHAPE, opset=args.opset)  # no onnx: an ImportError, one error line
    shape = f"input 'input' (batch, 1, 28, 28) {model.dtype} -> output 'output' (batch, 10) logits"
    print(f"Wrote {args.onnx}: {shape}")
    x = np.random.default_rng(0).random((16, *IMAGE_SHAPE)).astype(model.dtype)
    hint = "float64 CNNs need --dtype float32 there"  # onnxruntime has no float64 Conv on the CPU
    print(onnxruntime_check(args.onnx, x, lambda v: predict_logits(model, v), "on 16 random images", hint))
    return 0
