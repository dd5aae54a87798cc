"""What the examples' ``export`` commands share: run the written ONNX file in onnxruntime on sample inputs
and say how far its output is from the model's (a line to print)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

NOT_INSTALLED = "onnxruntime is not installed: file not run (pip install -e '.[onnx]')"


def onnxruntime_check(
    path: str,
    inputs: np.ndarray,
    expected: Callable[[np.ndarray], np.ndarray],
    what: str,
    load_hint: str | None = None,
) -> str:
    """Run ``path`` on ``inputs`` (its input "input") and compare with ``expected(inputs)``: "Checked with
    onnxruntime V: max |difference| D <what>". Without onnxruntime, a line saying the file was not run.
    ``load_hint``: when given, a file onnxruntime refuses to load (still valid ONNX, e.g. a float64 Conv)
    gives a line with this hint instead of the error."""
    try:
        import onnxruntime as ort
    except ImportError:
        return NOT_INSTALLED
    try:
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as exc:
        if load_hint is None:
            raise
        return f"onnxruntime could not load it ({type(exc).__name__}); {load_hint}"
    diff = float(np.max(np.abs(session.run(None, {"input": inputs})[0] - expected(inputs))))
    return f"Checked with onnxruntime {ort.__version__}: max |difference| {diff:.1e} {what}"
