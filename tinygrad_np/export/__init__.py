"""Leaving tinygrad_np: ``to_onnx`` (run anywhere ONNX runs), ``to_torch`` / ``from_torch`` (carry on
in PyTorch, or come back). The optional packages (onnx, onnxruntime, torch) are imported only when a
conversion runs, so ``import tinygrad_np`` stays NumPy-only.

    tnp.export.to_onnx(model, "model.onnx", input_shape=(12288,))
    torch_model = tnp.export.to_torch(model)
    model = tnp.export.from_torch(torch_model)             # a Sequential of the library's layers
    tnp.export.from_torch(torch_model, into=model)         # any model: the weights, by name

Any Module exports: it is traced (``trace.py``: run in eval mode on a Tensor, the recorded Functions
read back in order), and each traced node is converted by the converter of its Function:
``ONNX_CONVERTERS`` and ``TORCH_CONVERTERS``, keyed by Function class, are the one export entry a new
formula adds (``onnx_converter``, ``torch_converter``). ``TORCH_TWINS`` (keyed by layer type) gives a
Sequential of library layers its ``torch.nn.Sequential`` twin. A Function without a converter (or a
layer with a hand-written backward, which cannot be traced) is an ``UnsupportedLayerError`` (a
TypeError) naming it and the layer.
"""

from ._common import UnsupportedLayerError
from .onnx_export import ONNX_CONVERTERS, build_onnx, onnx_converter, to_onnx
from .torch_export import TORCH_CONVERTERS, TORCH_TWINS, to_torch, torch_converter, torch_twin
from .torch_import import from_torch

__all__ = [
    "ONNX_CONVERTERS",
    "TORCH_CONVERTERS",
    "TORCH_TWINS",
    "UnsupportedLayerError",
    "build_onnx",
    "from_torch",
    "onnx_converter",
    "to_onnx",
    "to_torch",
    "torch_converter",
    "torch_twin",
]
