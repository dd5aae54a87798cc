"""Convolution benchmarks against PyTorch CPU: ``python -m benchmarks.conv [--repeats K] [--only ...]``.

- **conv**: one Conv2d forward + backward, float32, at three sizes (``conv_layers.CASES``): the
  Fashion CNN's first layer (1 -> 32, 3x3, 28 x 28, batch 64, no input gradient, as in training),
  a 64 -> 64 3x3 at 32 x 32 batch 64 (input gradient included), and a 3 -> 32 5x5 at 64 x 64 batch 32
  (a first layer: no input gradient). Beside each, the floor: the same matrix products alone on
  preallocated in-cache blocks (FLOPs / that GEMM rate); target tinygrad_np / PyTorch <= 1.5.
- **cnn**: the Fashion-MNIST CNN's training step (``models.fashion.model.cnn()``: two Conv2d 3x3 +
  BatchNorm2d + MaxPool2d(2) + ReLU blocks, 32 and 64 channels, a Linear head; CrossEntropyLoss, Adam)
  at batch 64 and 256 against its PyTorch twin from the same weights (their losses should agree);
  target <= 1.0.
- **memory**: the peak memory of the cnn run (batch of ``--batch``), each framework in a fresh process.

Each table gives the median wall time per step (the harness: same process, PyTorch with as many threads
as NumPy's BLAS, trainers alternating in chunks with a short pause between them, medians over every
repeat) and the median CPU time per step (``time.process_time`` around the same steps). On a machine
shared with other jobs the wall clock is noisy: compare ratios, and rerun on a quiet machine. With
``OPENBLAS_NUM_THREADS=1`` (PyTorch then gets one thread too) the CPU time measures each framework's
work with the least noise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tracemalloc
from typing import Any

from .conv_layers import CASES, CPU, conv_factories, fashion_factories
from .harness import alternate, fmt_time, markdown_table
from .implementations import blas_threads, torch_available
from .memory import peak_rss_mib


def memory_child(framework: str, steps: int, batch: int) -> dict[str, float | None]:
    """Run in a fresh process: build, train ``steps`` steps, report peak RSS and the loop's traced peak."""
    step = fashion_factories(batch, steps)[framework]()
    step(0)  # the first step allocates the caches and optimizer state
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    for i in range(1, steps):
        step(i)
    peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    return {"peak_rss_mib": peak_rss_mib(), "loop_peak_mib": None if framework == "PyTorch" else peak / 2**20}


def table(title: str, res: dict[str, Any], flops: float | None = None) -> dict[str, float]:
    """Print one workload's table (wall and CPU medians, ratios to PyTorch); return the ratios."""
    cpu = {name: statistics.median(CPU.pop(name)) for name in res}
    ref = res.get("PyTorch")
    header = ["trainer", "median wall", "median CPU", "wall / PyTorch", "CPU / PyTorch", "last value"]
    if flops:
        header.append("GFLOP/s (wall)")
    rows = []
    for name, t in res.items():
        row = [name, fmt_time(t.median), fmt_time(cpu[name])]
        row += [f"{t.median / ref.median:.2f}", f"{cpu[name] / cpu['PyTorch']:.2f}"] if ref else ["", ""]
        row.append(f"{t.final_loss:.6g}")
        if flops:
            row.append(f"{flops / t.median / 1e9:.0f}")
        rows.append(row)
    print(f"### {title}\n\n{markdown_table(header, rows)}\n", flush=True)
    if not ref:
        return {}
    ratios = {"wall": res["tinygrad_np"].median / ref.median, "cpu": cpu["tinygrad_np"] / cpu["PyTorch"]}
    if "floor (GEMMs)" in res:
        ratios["floor/PyTorch"] = res["floor (GEMMs)"].median / ref.median
    return ratios


def run(a: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Every workload of ``a.only``; returns {workload: {ratio name: value}} (also printed)."""
    only, out = a.only.split(","), {}
    if "conv" in only:
        for key in a.cases.split(","):
            case = CASES[key]
            res = alternate(conv_factories(case), a.conv_iterations, a.chunk, a.repeats, a.pause)
            out[f"conv {key}"] = table(case.title, res, case.flops)
    if "cnn" in only:
        for batch in (int(b) for b in a.cnn_batches.split(",")):
            res = alternate(fashion_factories(batch, a.steps), a.steps, a.chunk, a.repeats, a.pause)
            out[f"cnn batch {batch}"] = table(f"Fashion CNN training step, batch {batch}", res)
    if "memory" in only:
        rows = []
        for fw in ["tinygrad_np"] + (["PyTorch"] if torch_available() else []):
            cmd = [sys.executable, "-m", "benchmarks.conv", "--batch", str(a.batch),
                   "--memory-child", fw, str(min(a.steps, 50))]  # fmt: skip
            res = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
            loop = res["loop_peak_mib"]
            rows.append([fw, f"{res['peak_rss_mib']:.0f} MiB", "n/a" if loop is None else f"{loop:.1f} MiB"])
        print(f"### peak memory of the Fashion CNN run, batch {a.batch} (fresh process each)\n")
        print(
            markdown_table(["trainer", "peak RSS", "peak allocated in the loop (tracemalloc)"], rows) + "\n"
        )
    targets = [(k, v["wall"], 1.5 if k.startswith("conv") else 1.0) for k, v in out.items() if v]
    if targets:
        print("### targets (wall-clock ratio to PyTorch)\n")
        for k, v, limit in targets:
            print(f"- {k}: {v:.2f} (target <= {limit}): {'met' if v <= limit else 'NOT met'}")
        print()
    return out


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.conv", description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=40, help="CNN training steps per repeat (default 40)")
    p.add_argument("--conv-iterations", type=int, default=20, help="forward+backward per repeat (20)")
    p.add_argument("--cases", default=",".join(CASES), help=f"conv sizes, a subset of {','.join(CASES)}")
    p.add_argument("--cnn-batches", default="64,256", help="CNN batch sizes (default 64,256)")
    p.add_argument("--batch", type=int, default=64, help="the memory run's batch size (64)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--chunk", type=int, default=5, help="steps per turn when alternating (5)")
    p.add_argument("--pause", type=float, default=0.2)
    p.add_argument("--only", default="conv,cnn,memory")
    p.add_argument("--memory-child", nargs=2, metavar=("FRAMEWORK", "STEPS"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.memory_child:
        print(json.dumps(memory_child(a.memory_child[0], int(a.memory_child[1]), a.batch)))
        return {}
    threads = blas_threads()
    if torch_available():
        import torch

        torch.set_num_threads(threads)
    else:
        print("PyTorch is not installed: its rows are left out.")
    print(f"float32, {threads} BLAS/PyTorch threads, {a.repeats} repeats, medians per step\n")
    return run(a)


if __name__ == "__main__":
    main()
