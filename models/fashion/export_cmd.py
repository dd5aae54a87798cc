"""``python -m models.fashion export --weights W --onnx model.onnx``: a trained Fashion-MNIST model as ONNX.

The file takes images (batch, 1, 28, 28) in [0, 1] (input "input") and gives logits (batch, 10) (output
"output"). onnxruntime has no float64 Conv on the CPU: export CNNs with ``--dtype float32``.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from models.cat.export_cmd import add_export_parser
from tinygrad_np.export import to_onnx

from .model import IMAGE_SHAPE, load_model, predict_logits

__all__ = ["add_export_parser", "cmd_export"]


def cmd_export(args: argparse.Namespace) -> int:
    """Write the ONNX file, then (if onnxruntime is installed) check it gives the model's logits."""
    model = load_model(args.weights)
    if args.dtype:
        model.to(args.dtype)
    try:
        to_onnx(model, args.onnx, IMAGE_SHAPE, opset=args.opset)
    except ImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shape = f"input 'input' (batch, 1, 28, 28) {model.dtype} -> output 'output' (batch, 10) logits"
    print(f"Wrote {args.onnx}: {shape}")
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime is not installed: file not run (pip install -e '.[onnx]')")
        return 0
    x = np.random.default_rng(0).random((16, *IMAGE_SHAPE)).astype(model.dtype)
    try:
        session = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime refuses e.g. float64 Conv on the CPU: the file is still valid ONNX
        print(
            f"onnxruntime could not load it ({type(exc).__name__}); float64 CNNs need --dtype float32 there"
        )
        return 0
    diff = float(np.max(np.abs(session.run(None, {"input": x})[0] - predict_logits(model, x))))
    print(f"Checked with onnxruntime {ort.__version__}: max |difference| {diff:.1e} on 16 random images")
    return 0
