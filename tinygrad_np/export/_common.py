"""What the ONNX and PyTorch converters share: lazy imports of the optional packages, the error for a
layer without a counterpart, and the model's one dtype."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import numpy as np

from ..nn.module import Layer
from ..validation import fail

INSTALL = {
    "onnx": "pip install -e '.[onnx]' (or: pip install onnx onnxruntime)",
    "onnxruntime": "pip install -e '.[onnx]' (or: pip install onnx onnxruntime)",
    "torch": "pip install torch (CPU build: pip install torch --index-url https://download.pytorch.org/whl/cpu)",
}


class UnsupportedLayerError(TypeError):
    """A layer (or torch module) that has no counterpart in the target format."""


def require(package: str, who: str) -> ModuleType:
    """Import the optional ``package`` for ``who``, or raise an ImportError saying how to install it."""
    try:
        return importlib.import_module(package)
    except ImportError as e:
        got = f"no module named {package!r}"
        raise fail(
            who, f"the optional package {package!r}", "be installed", got, INSTALL[package], ImportError
        ) from e


def names(table: Mapping[type, Any]) -> str:
    """The sorted names of a converter table's keys, for "must be one of (...)" messages."""
    return ", ".join(sorted({t.__name__ for t in table}))


def where(path: str) -> str:
    """A module's place in messages: "layer '2.fc'", or "the model" at the top."""
    return f"layer {path!r}" if path else "the model"


def model_dtype(who: str, model: Layer, default: Any = None) -> np.dtype:
    """The one floating-point dtype of ``model``'s parameters and buffers (float32 or float64).

    A model without any uses ``default`` (float64 when None)."""
    arrays = [p.data for p in model.parameters()] + [b for _, b in model.named_buffers()]
    kinds = sorted({str(a.dtype) for a in arrays if a.dtype.kind == "f"})
    if not kinds:
        dtype = np.dtype(np.float64 if default is None else default)
    elif len(kinds) > 1:
        raise fail(
            who, "the model's parameters", "share one dtype", f"dtypes {kinds}", "use model.to(np.float32)"
        )
    else:
        dtype = np.dtype(kinds[0])
    if dtype not in (np.float32, np.float64):
        raise fail(who, "the model's dtype", "be float32 or float64", str(dtype), "use model.to(np.float32)")
    return dtype


def pair(v: Any) -> list[int]:
    """A setting given as one int or a pair (stride=2, kernel_size=(3, 2)), as a list of two ints."""
    return [int(v), int(v)] if np.ndim(v) == 0 else [int(a) for a in v]


def example_shape(who: str, input_shape: Any) -> tuple[int, ...]:
    """``input_shape`` without the batch axis: ``(12288,)``, or ``(None, 12288)`` with an explicit one."""
    if isinstance(input_shape, int | np.integer):
        input_shape = (input_shape,)
    shape = tuple(input_shape)
    if shape and shape[0] is None:
        shape = shape[1:]
    if not shape or not all(
        isinstance(s, int | np.integer) and not isinstance(s, bool) and s > 0 for s in shape
    ):
        raise fail(
            who,
            "input_shape",
            "be the shape of one example (positive ints, no batch axis)",
            input_shape,
            "e.g. (12288,) for 12288 features or (3, 64, 64) for an RGB image",
            TypeError,
        )
    return tuple(int(s) for s in shape)


def join(prefix: str, name: str) -> str:
    """A dotted child name: ``join("2", "0") == "2.0"``, ``join("", "0") == "0"``."""
    return f"{prefix}.{name}" if prefix else name
