"""Leaving tinygrad_np: ``to_onnx`` (run anywhere ONNX runs), ``to_torch`` / ``from_torch`` (carry on
in PyTorch, or come back). The optional packages (onnx, onnxruntime, torch) are imported only when a
conversion runs, so ``import tinygrad_np`` stays NumPy-only.

    tnp.export.to_onnx(model, "model.onnx", input_shape=(12288,))
    torch_model = tnp.export.to_torch(model)
    model = tnp.export.from_torch(torch_model)

Each direction is a table of converters keyed by layer type (``ONNX_CONVERTERS``,
``TORCH_CONVERTERS``); a layer without one is an ``UnsupportedLayerError`` (a TypeError) naming it.
"""

from ._common import UnsupportedLayerError
from .onnx_export import ONNX_CONVERTERS, build_onnx, onnx_converter, to_onnx
from .torch_export import TORCH_CONVERTERS, to_torch, torch_converter
from .torch_import import from_torch

__all__ = [
    "ONNX_CONVERTERS",
    "TORCH_CONVERTERS",
    "UnsupportedLayerError",
    "build_onnx",
    "from_torch",
    "onnx_converter",
    "to_onnx",
    "to_torch",
    "torch_converter",
]
