"""``python -m models.cat export --weights W --onnx model.onnx``: the trained cat model as an ONNX file.

The file runs in onnxruntime (or any ONNX engine) on inputs (batch, 12288) of pixel values / 255,
flattened as ``tinygrad_np.data.datasets.to_features`` does, and gives P(cat) (batch, 1).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from models.onnx_check import onnxruntime_check
from tinygrad_np.export import to_onnx

from .model import layer_sizes, load_model, predict_proba


def add_export_parser(subparsers: Any) -> None:
    """Add the ``export`` subcommand to the cat CLI's subparsers."""
    x = subparsers.add_parser("export", help="write a trained model as an ONNX file (for onnxruntime)")
    x.add_argument("--weights", required=True, metavar="FILE", help="weights.npz written by train")
    x.add_argument("--onnx", required=True, metavar="FILE", help="the .onnx file to write")
    x.add_argument(
        "--dtype",
        choices=("float32", "float64"),
        help="compute type of the exported graph (default: the weights' dtype)",
    )
    x.add_argument("--opset", type=int, help="ONNX opset version (default: 17)")


def cmd_export(args: argparse.Namespace) -> int:
    """Write the ONNX file, then (if onnxruntime is installed) check it gives the model's outputs."""
    model = load_model(args.weights)
    if args.dtype:
        model.to(args.dtype)
    n_in = layer_sizes(model)[0]
    to_onnx(model, args.onnx, (n_in,), opset=args.opset)  # no onnx: an ImportError, one error line
    print(
        f"Wrote {args.onnx}: input 'input' (batch, {n_in}) {model.dtype} -> output 'output' (batch, 1) P(cat)"
    )
    x = np.random.default_rng(0).random((16, n_in)).astype(model.dtype)  # 16 random "images" in [0, 1)
    print(onnxruntime_check(args.onnx, x, lambda v: predict_proba(model, v), "on 16 random inputs"))
    return 0
