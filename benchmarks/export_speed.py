"""Inference speed of the exported cat model: onnxruntime against tinygrad_np on the 50 test images.

    python -m benchmarks.export_speed --weights runs/.../weights.npz [--rounds 300] [--dtype float32]
    OPENBLAS_NUM_THREADS=1 python -m benchmarks.export_speed --weights W --threads 1   # one thread each

The model is ``python -m models.cat train``'s ``weights.npz`` (the course's deep model 12288 → 20 →
7 → 5 → 1), exported with ``tinygrad_np.export.to_onnx`` to a temporary file. Each engine predicts
P(cat) for the 50 test images of ``$TINYGRAD_NP_DATA`` (or ``--data``) as one batch of 50, and for
one image at a time (batch 1); the engines take turns (``benchmarks.harness.alternate``, chunks of
10 calls, the order rotating, 5 ms of untimed sleep before each chunk so the other engine's threads
go idle) and the table gives the median time per call. Threads: each engine's default, or
``--threads N`` for onnxruntime with ``OPENBLAS_NUM_THREADS=N`` for NumPy. Needs onnx and
onnxruntime (``pip install -e '.[onnx]'``) and h5py (``.[cat]``).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.cat.model import load_model, predict_proba
from tinygrad_np.data.datasets import load_dataset
from tinygrad_np.export import to_onnx

from .harness import alternate, fmt_time, markdown_table
from .implementations import blas_threads


def _session(path: str, threads: int | None) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def _engines(
    model: Any, path: str, x: np.ndarray, threads: int | None
) -> dict[str, Callable[[], Callable[[int], float]]]:
    """Factories of the two predictors on ``x`` (the harness times ``step(i)`` calls)."""
    session = _session(path, threads)
    model.eval()

    def tnp_step(i: int) -> float:
        return float(model(x)[0, 0])

    def ort_step(i: int) -> float:
        return float(session.run(None, {"input": x})[0][0, 0])

    return {"tinygrad_np": lambda: tnp_step, "onnxruntime": lambda: ort_step}


def measure(
    model: Any, x_test: np.ndarray, y_test: np.ndarray, rounds: int, threads: int | None = None
) -> list[list[str]]:
    """Export ``model``, check both engines agree, then time them; one table row per engine and batch."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cat.onnx")
        to_onnx(model, path, (x_test.shape[1],))
        p_ort = _session(path, threads).run(None, {"input": x_test})[0]
        p_tnp = predict_proba(model, x_test)
        diff = float(np.max(np.abs(p_ort - p_tnp)))
        acc = {k: float(np.mean((p[:, 0] > 0.5) == y_test)) for k, p in (("tnp", p_tnp), ("ort", p_ort))}
        for batch, x in (("50 images", x_test), ("1 image", x_test[:1])):
            engines = _engines(model, path, np.ascontiguousarray(x), threads)
            timings = alternate(engines, rounds, chunk=10, pause=0.005)
            base = timings["tinygrad_np"].median
            for name, t in timings.items():
                rows.append(
                    [
                        str(model.dtype),
                        batch,
                        name,
                        fmt_time(t.median),
                        f"{base / t.median:.2f}×",
                        f"{acc['tnp' if name == 'tinygrad_np' else 'ort']:.2f}",
                        f"{diff:.1e}",
                    ]
                )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export_speed", description=__doc__)
    parser.add_argument("--weights", required=True, help="weights.npz of python -m models.cat train")
    parser.add_argument("--data", help="folder of the cat .h5 files (default: $TINYGRAD_NP_DATA)")
    parser.add_argument("--rounds", type=int, default=300, help="timed calls per engine and batch size")
    parser.add_argument("--dtype", default="float64,float32", help="comma-separated (default: both)")
    parser.add_argument(
        "--threads",
        type=int,
        help="onnxruntime's intra-op threads (default: its own choice); set NumPy's BLAS threads to the "
        "same with OPENBLAS_NUM_THREADS=N (or OMP_NUM_THREADS / MKL_NUM_THREADS) before the command",
    )
    args = parser.parse_args(argv)
    import onnxruntime as ort

    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, NumPy {np.__version__} "
        f"(BLAS threads {blas_threads()}), onnxruntime {ort.__version__} "
        f"(threads {args.threads or 'default'}); weights {Path(args.weights)}"
    )
    rows = []
    for dtype in args.dtype.split(","):
        model = load_model(args.weights).to(dtype)
        data = load_dataset(args.data, dtype=dtype, download=False)
        rows += measure(model, data.x_test, np.asarray(data.y_test).ravel(), args.rounds, args.threads)
    header = [
        "dtype",
        "batch",
        "engine",
        "median per call",
        "speed-up",
        "test accuracy",
        "max abs ΔP vs tinygrad_np",
    ]
    print(markdown_table(header, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
