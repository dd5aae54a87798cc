"""Run the benchmarks: ``python -m benchmarks.run [--iterations N] [--only ...] [--dtype ...] [--repeats K]``.

Every workload runs tinygrad_np and its references in the same process, alternating in chunks, from
the same initial weights, in the same dtype, and prints a markdown table: median time per iteration,
the loop time, the ratio to tinygrad_np, the final loss (the same math gives the same loss), and for
the cat run the peak memory (measured in fresh processes, see benchmarks/memory.py). Then the
start-up time and the project's targets, met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from .data import load_cat, random_minibatch_data
from .harness import Timing, alternate, fmt_time, markdown_table
from .implementations import (
    JAX_COMPILE_SECONDS,
    TRAINERS,
    blas_threads,
    initial_weights,
    jax_available,
    torch_available,
)
from .memory import CAT_DIMS, CAT_LR

ROOT = Path(__file__).resolve().parents[1]
TNP = "tinygrad_np"
FAST = "tinygrad_np fast path"
JAX = "JAX (jit)"
WORKLOADS = ("cat", "minibatch", "overhead", "gpt", "startup", "memory", "conv")
DEFAULT = WORKLOADS[:-1]  # conv (benchmarks/conv.py, several minutes) runs when asked: --only conv


@dataclass
class Workload:
    """One benchmark: a model (layer sizes), a learning rate, the batches and how many steps."""

    name: str
    title: str
    dims: tuple[int, ...]
    lr: float
    batches: list[tuple[np.ndarray, np.ndarray]]
    iterations: int
    chunk: int


def cat_workload(dtype: np.dtype, iterations: int) -> Workload:
    x, y, source = load_cat(dtype)
    title = f"cat: the course's deep model {CAT_DIMS}, full batch of {len(x)}, {source}"
    return Workload("cat", title, CAT_DIMS, CAT_LR, [(x, y)], iterations, chunk=100)


def minibatch_workload(dtype: np.dtype, samples: int) -> Workload:
    x, y = random_minibatch_data(samples, 3072, dtype)
    batch = 64
    # The data are random, so consecutive slices (views, no copy) are as good as a shuffle.
    batches = [(x[i : i + batch], y[i : i + batch]) for i in range(0, samples - batch + 1, batch)]
    title = f"minibatch: MLP (3072, 512, 128, 1), batch {batch}, one epoch of {samples} random samples"
    return Workload("minibatch", title, (3072, 512, 128, 1), 0.01, batches, len(batches), chunk=16)


def overhead_workload(dtype: np.dtype, steps: int) -> Workload:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 16)).astype(dtype)
    y = rng.integers(0, 2, size=256).astype(dtype)
    batches = [(x[i : i + 1], y[i : i + 1]) for i in range(len(x))]
    title = f"overhead: MLP (16, 16, 16, 1), batch 1, {steps} steps"
    return Workload("overhead", title, (16, 16, 16, 1), 0.01, batches, steps, chunk=500)


def trainers_for(w: Workload, dtype: np.dtype) -> tuple[dict[str, Any], list[str]]:
    """The factories to time for ``w`` (tinygrad_np first) and notes about any left out."""
    weights = initial_weights(w.dims, dtype)
    notes = []
    fast = [FAST] if len(w.batches) == 1 else []  # the fast path is full-batch only
    names = [TNP, "tinygrad_np (graph)", *fast, "course (NumPy)", "PyTorch", JAX, "floor"]
    if not torch_available():
        names.remove("PyTorch")
        notes.append("PyTorch is not installed: its rows are skipped (pip install torch to add them).")
    if not jax_available():
        names.remove(JAX)
        notes.append("JAX is not installed: its rows are skipped (pip install -e '.[bench]' to add them).")
    factories = {n: partial(TRAINERS[n], weights, w.lr, w.batches) for n in names}
    return factories, notes


def peak_memory(trainer: str, dtype: np.dtype, iterations: int) -> dict[str, float | None]:
    """Run benchmarks.memory in a fresh process (so that nothing else inflates its peak)."""
    cmd = [sys.executable, "-m", "benchmarks.memory", trainer, str(dtype), str(iterations)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_time(module: str, runs: int) -> float:
    """Median time of ``import module`` in fresh interpreters (after one unmeasured warm-up run)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = []
    for i in range(runs + 1):
        cmd = [sys.executable, "-c", code]
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
        if i:
            times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def mib(v: float | None) -> str:
    return "–" if v is None else f"{v:.1f} MiB"


def run_workload(
    w: Workload,
    dtype: np.dtype,
    repeats: int,
    memory: dict[str, dict[str, float | None]] | None,
    pause: float = 0.2,
) -> tuple[str, dict[str, Timing]]:
    factories, notes = trainers_for(w, dtype)
    chunk = max(1, min(w.chunk, w.iterations))
    JAX_COMPILE_SECONDS.clear()
    timings = alternate(factories, w.iterations, chunk, repeats, pause=pause)
    if JAX_COMPILE_SECONDS:
        notes.append(
            f"JAX compiled its step in {fmt_time(min(JAX_COMPILE_SECONDS))} (before timing, not counted)."
        )
    ref = timings[TNP].median
    fast = timings[FAST].median if FAST in timings else None
    header = ["implementation", "median / iter", f"loop ({w.iterations} it)", "× tinygrad_np"]
    header += ["loop × fast path's"] if fast is not None else []
    header += ["final loss"]
    if memory is not None:
        header += ["peak RSS", "loop alloc peak"]
    rows = []
    for name, t in timings.items():
        row = [name, fmt_time(t.median), fmt_time(t.loop_time), f"{t.median / ref:.2f}"]
        row += [f"{t.loop_time / timings[FAST].loop_time:.1f}"] if fast is not None else []
        row.append("–" if t.final_loss != t.final_loss else f"{t.final_loss:.10f}")
        if memory is not None:
            m = memory.get(name, {})
            row += [mib(m.get("peak_rss_mib")), mib(m.get("loop_peak_mib"))]
        rows.append(row)
    text = f"### {w.title} — {dtype}\n\n" + markdown_table(header, rows)
    for note in notes:
        text += f"\n\n{note}"
    return text, timings


def check(label: str, value: float | None, limit: float, fmt: str = "{:.2f}") -> str:
    if value is None:
        return f"- {label}: not measured"
    verdict = "met" if value <= limit else "NOT met"
    return f"- {label}: {fmt.format(value)} (target ≤ {fmt.format(limit)}): {verdict}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=2500, help="cat iterations (default 2500)")
    p.add_argument("--samples", type=int, default=8192, help="minibatch: samples in its epoch (8192)")
    p.add_argument("--overhead-steps", type=int, default=5000, help="overhead: steps (default 5000)")
    p.add_argument("--gpt-steps", type=int, default=100, help="gpt: training steps (default 100)")
    p.add_argument("--only", default=",".join(DEFAULT), help=f"a comma-separated subset of {WORKLOADS}")
    p.add_argument("--dtype", default="float64,float32", help="comma-separated dtypes (float64,float32)")
    p.add_argument("--repeats", type=int, default=1, help="repeat each timing K times (default 1)")
    p.add_argument("--startup-runs", type=int, default=7, help="fresh interpreters per import (default 7)")
    p.add_argument("--pause", type=float, default=0.2, help="idle seconds before each chunk (0.2)")
    p.add_argument("--json", type=Path, help="also write the medians and checks to this JSON file")
    args = p.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = [s for s in args.only if s not in WORKLOADS]
    if bad:
        p.error(f"--only: unknown {bad}; choose from {','.join(WORKLOADS)}")
    args.dtype = [np.dtype(s.strip()) for s in args.dtype.split(",") if s.strip()]
    return args


def header_lines() -> list[str]:
    torch_v = "not installed"
    if torch_available():
        import torch

        torch_v = f"{torch.__version__} ({torch.get_num_threads()} threads at start)"
    return [
        f"- Python {platform.python_version()}, NumPy {np.__version__}, BLAS threads {blas_threads()}, "
        f"PyTorch {torch_v}",
        f"- CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} logical cores, "
        f"load average at start {os.getloadavg()[0]:.2f}",
    ]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    results: dict[str, Any] = {"timings": {}, "checks": []}
    print("## tinygrad_np benchmarks\n")
    print("\n".join(header_lines()) + "\n", flush=True)
    t_start = time.perf_counter()
    medians: dict[tuple[str, str], dict[str, float]] = {}
    memory: dict[str, dict[str, dict[str, float | None]]] = {}
    per_repeat: dict[str, dict[str, list[float]]] = {}
    loops: dict[str, dict[str, float]] = {}
    for dtype in args.dtype:
        if "memory" in args.only:
            mem_iters = max(1, min(args.iterations, 10))
            names = [TNP, FAST, "course (NumPy)"] + (["PyTorch"] if torch_available() else [])
            names += [JAX] if jax_available() else []
            memory[str(dtype)] = {n: peak_memory(n, dtype, mem_iters) for n in names}
        if "cat" in args.only:
            w = cat_workload(dtype, args.iterations)
            text, t = run_workload(w, dtype, args.repeats, memory.get(str(dtype)), args.pause)
            medians[("cat", str(dtype))] = {k: v.median for k, v in t.items()}
            loops[str(dtype)] = {k: v.loop_time for k, v in t.items()}
            per_repeat[str(dtype)] = {k: v.repeat_medians for k, v in t.items()}
            print(text + "\n", flush=True)
        elif str(dtype) in memory:
            mem = memory[str(dtype)]
            rows = [[n, mib(m["peak_rss_mib"]), mib(m["loop_peak_mib"])] for n, m in mem.items()]
            print(f"### peak memory of the cat run — {dtype}\n")
            print(markdown_table(["implementation", "peak RSS", "loop alloc peak"], rows) + "\n")
    if "minibatch" in args.only:
        dtype = np.dtype(np.float32) if np.dtype(np.float32) in args.dtype else args.dtype[0]
        text, t = run_workload(minibatch_workload(dtype, args.samples), dtype, args.repeats, None, args.pause)
        medians[("minibatch", str(dtype))] = {k: v.median for k, v in t.items()}
        print(text + "\n", flush=True)
    if "overhead" in args.only:
        for dtype in args.dtype:
            text, t = run_workload(
                overhead_workload(dtype, args.overhead_steps), dtype, args.repeats, None, args.pause
            )
            medians[("overhead", str(dtype))] = {k: v.median for k, v in t.items()}
            print(text + "\n", flush=True)
    gpt_checks: list[str] = []
    if "gpt" in args.only:  # the character-level GPT against PyTorch, float32 (benchmarks/gpt.py)
        from .gpt import gpt_workload

        text, t, gpt_targets = gpt_workload(
            args.gpt_steps, args.repeats, pause=args.pause, memory="memory" in args.only
        )
        medians[("gpt", "float32")] = {k: v.median for k, v in t.items()}
        gpt_checks = [check(label, value, limit) for label, value, limit in gpt_targets]
        print(text + "\n", flush=True)
    if "conv" in args.only:  # Conv2d at three sizes and the Fashion CNN step: benchmarks/conv.py
        from . import conv

        results["conv"] = conv.main(
            ["--only", "conv,cnn", "--repeats", str(args.repeats), "--pause", str(args.pause)]
        )
    imports: dict[str, float] = {}
    if "startup" in args.only:
        modules = ["numpy", "tinygrad_np"] + (["torch"] if torch_available() else [])
        modules += ["jax"] if jax_available() else []
        imports = {m: import_time(m, args.startup_runs) for m in modules}
        rows = [[f"import {m}", f"{v * 1e3:.0f} ms"] for m, v in imports.items()]
        print(f"### start-up: median of {args.startup_runs} fresh interpreters\n")
        print(markdown_table(["statement", "time"], rows) + "\n")

    # -- the targets ---------------------------------------------------------------------------------
    checks = []
    for dtype in args.dtype:
        m = medians.get(("cat", str(dtype)))
        if not m:
            continue
        tnp, reps = m[TNP], per_repeat[str(dtype)]
        targets = [("PyTorch", 0.70), ("floor", 1.3)]
        if dtype == np.float64:
            targets.insert(1, ("course (NumPy)", 0.65))
        for ref, limit in targets:
            if ref not in m:
                continue
            line = check(f"cat {dtype}: tinygrad_np / {ref}", tnp / m[ref], limit)
            if args.repeats > 1:  # the spread of the ratio over the repeats
                ratios = [a / b for a, b in zip(reps[TNP], reps[ref], strict=True)]
                line += f" (per repeat: {', '.join(f'{r:.2f}' for r in ratios)})"
            checks.append(line)
    for dtype in args.dtype:  # the fast path's loop (set-up included) against the references' loops
        lp = loops.get(str(dtype), {})
        for ref, limit in (("PyTorch", 1 / 5), (JAX, 1 / 3)):
            if FAST in lp and ref in lp:
                checks.append(check(f"cat {dtype}: fast path loop / {ref} loop", lp[FAST] / lp[ref], limit))
    checks += gpt_checks
    if "tinygrad_np" in imports:
        checks.append(check("import tinygrad_np (s)", imports["tinygrad_np"], 0.3, "{:.3f}"))
    if "float64" in memory:
        rss = memory["float64"][TNP]["peak_rss_mib"]
        checks.append(check("peak RSS of the float64 cat run (MiB)", rss, 100.0, "{:.1f}"))
    if checks:
        print("### targets\n\n" + "\n".join(checks) + "\n")
    print(
        f"(ran {time.perf_counter() - t_start:.0f} s; load average at the end "
        f"{os.getloadavg()[0]:.2f}; ratios are of medians measured in the same run)"
    )
    results["timings"] = {f"{k[0]}/{k[1]}": v for k, v in medians.items()}
    results["memory"] = memory
    results["imports"] = imports
    results["checks"] = checks
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
