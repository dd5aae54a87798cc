"""Convolution benchmarks against PyTorch CPU: ``python -m benchmarks.conv [--steps N] [--repeats K]``.

- **conv**: one ``Conv2d(32, 32, 3, padding=1)`` forward + backward (input gradient included) on a
  (64, 32, 28, 28) batch.
- **cnn**: training steps of a small CNN on random 28 x 28 images, batch 64, 10 classes:
  Conv2d(1, 16, 3, p=1), BatchNorm2d, ReLU, MaxPool2d(2), Conv2d(16, 32, 3, p=1), BatchNorm2d, ReLU,
  MaxPool2d(2), Flatten, Linear(1568, 10); CrossEntropyLoss, SGD(lr 0.05, momentum 0.9). The default
  200 steps are one epoch-equivalent of 12,800 images. Both models start from the same weights (the
  PyTorch state dict, ``.numpy()``-converted, loaded as is), so their losses should agree.
- **memory**: the peak memory of the cnn run, each framework in a fresh process.

``--clock cpu`` times each step by the process's CPU time (``time.process_time``) instead of the wall
clock: on a machine shared with other jobs, run it with one thread (``OPENBLAS_NUM_THREADS=1``; PyTorch
then gets one thread too) to compare the work each framework does without the other jobs' noise.

Timing is made fair as in ``benchmarks.run``: same process, same dtype, PyTorch with as many threads
as NumPy's BLAS, trainers alternating in chunks with a short pause between them (so that one's worker
threads stop spinning before the other starts), medians per step over every repeat.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from . import harness
from .harness import alternate, fmt_time, markdown_table
from .implementations import blas_threads, torch_available
from .memory import peak_rss_mib

Step = Callable[[int], float]


def _torch_cnn(seed: int) -> Any:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10),
    )  # fmt: skip


def tnp_cnn(dtype: np.dtype) -> Any:
    import tinygrad_np as tnp

    return tnp.Sequential(
        tnp.Conv2d(1, 16, 3, padding=1, dtype=dtype), tnp.BatchNorm2d(16, dtype=dtype), tnp.ReLU(),
        tnp.MaxPool2d(2),
        tnp.Conv2d(16, 32, 3, padding=1, dtype=dtype), tnp.BatchNorm2d(32, dtype=dtype), tnp.ReLU(),
        tnp.MaxPool2d(2),
        tnp.Flatten(), tnp.Linear(32 * 7 * 7, 10, dtype=dtype),
    )  # fmt: skip


def initial_state(dtype: np.dtype, seed: int = 0) -> dict[str, np.ndarray]:
    """PyTorch's default initialisation of the CNN, as NumPy arrays (random if torch is missing)."""
    if torch_available():
        return {k: v.numpy() for k, v in _torch_cnn(seed).state_dict().items()}
    model = tnp_cnn(dtype)
    return model.state_dict()


def data(steps: int, batch: int, dtype: np.dtype, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((min(steps, 50) * batch, 1, 28, 28)).astype(dtype)  # batches repeat after 50
    return x, rng.integers(0, 10, len(x))


def tnp_cnn_step(state: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, batch: int) -> Step:
    import tinygrad_np as tnp

    model = tnp_cnn(x.dtype).load_state_dict(state)
    loss_fn, opt = tnp.CrossEntropyLoss(), tnp.SGD(model.parameters(), lr=0.05, momentum=0.9)
    nb = len(x) // batch

    def step(i: int) -> float:
        k = i % nb
        xb, yb = x[k * batch : (k + 1) * batch], y[k * batch : (k + 1) * batch]
        loss = loss_fn(model(xb), yb)
        model.backward(loss_fn.backward())
        opt.step()
        return loss

    return step


def torch_cnn_step(state: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, batch: int) -> Step:
    import torch

    model = _torch_cnn(0)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    model.to(torch.float32 if x.dtype == np.float32 else torch.float64)
    loss_fn = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    nb = len(x) // batch

    def step(i: int) -> float:
        k = i % nb
        opt.zero_grad()
        loss = loss_fn(model(xt[k * batch : (k + 1) * batch]), yt[k * batch : (k + 1) * batch])
        loss.backward()
        opt.step()
        return float(loss.item())

    return step


def conv_steps(dtype: np.dtype) -> dict[str, Callable[[], Step]]:
    """Factories of one Conv2d(32, 32, 3, padding=1) forward + backward on (64, 32, 28, 28)."""
    import tinygrad_np as tnp

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 32, 28, 28)).astype(dtype)
    g = rng.standard_normal((64, 32, 28, 28)).astype(dtype)

    def ours() -> Step:
        layer = tnp.Conv2d(32, 32, 3, padding=1, rng=np.random.default_rng(0), dtype=dtype)

        def step(i: int) -> float:
            layer(x)
            return float(layer.backward(g)[0, 0, 0, 0])

        return step

    factories = {"tinygrad_np": ours}
    if torch_available():
        import torch

        def theirs() -> Step:
            layer = torch.nn.Conv2d(32, 32, 3, padding=1)
            same = tnp.Conv2d(32, 32, 3, padding=1, rng=np.random.default_rng(0), dtype=dtype)
            layer.load_state_dict({k: torch.from_numpy(v) for k, v in same.state_dict().items()})
            xt, gt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(g)

            def step(i: int) -> float:
                xt.grad = None
                layer.zero_grad()
                layer(xt).backward(gt)
                return float(xt.grad[0, 0, 0, 0])

            return step

        factories["PyTorch"] = theirs
    return factories


def memory_child(framework: str, dtype: str, steps: int, batch: int) -> dict[str, float | None]:
    """Run in a fresh process: build, train ``steps`` steps, report peak RSS and the loop's traced peak."""
    dt = np.dtype(dtype)
    x, y = data(steps, batch, dt)
    state = initial_state(dt)
    make = tnp_cnn_step if framework == "tinygrad_np" else torch_cnn_step
    step = make(state, x, y, batch)
    step(0)  # the first step allocates the caches and gradient buffers
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    for i in range(1, steps):
        step(i)
    peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    return {"peak_rss_mib": peak_rss_mib(), "loop_peak_mib": None if framework == "PyTorch" else peak / 2**20}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.conv", description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=200, help="CNN training steps (default 200 = 12,800 images)")
    p.add_argument("--conv-iterations", type=int, default=20)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--chunk", type=int, default=10)
    p.add_argument("--pause", type=float, default=0.2)
    p.add_argument("--only", default="conv,cnn,memory")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="cpu: time.process_time per step")
    p.add_argument("--memory-child", nargs=2, metavar=("FRAMEWORK", "STEPS"), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.memory_child:
        print(json.dumps(memory_child(a.memory_child[0], a.dtype, int(a.memory_child[1]), a.batch)))
        return
    dtype, only, threads = np.dtype(a.dtype), a.only.split(","), blas_threads()
    if a.clock == "cpu":  # the harness reads time.perf_counter through its module: swap the clock there
        harness.time = _CpuClock()  # type: ignore[assignment]
    if torch_available():
        import torch

        torch.set_num_threads(threads)
    else:
        print("PyTorch is not installed: its rows are left out.")
    print(
        f"{a.dtype}, {threads} BLAS/PyTorch threads, {a.repeats} repeats, {a.clock} clock, medians per step\n"
    )
    if "conv" in only:
        res = alternate(conv_steps(dtype), a.conv_iterations, a.chunk, a.repeats, a.pause)
        _table("Conv2d(32, 32, 3, padding=1) forward + backward, batch (64, 32, 28, 28)", res, 1)
    if "cnn" in only:
        x, y = data(a.steps, a.batch, dtype)
        state = initial_state(dtype)
        factories = {"tinygrad_np": lambda: tnp_cnn_step(state, x, y, a.batch)}
        if torch_available():
            factories["PyTorch"] = lambda: torch_cnn_step(state, x, y, a.batch)
        res = alternate(factories, a.steps, a.chunk, a.repeats, a.pause)
        _table(
            f"small CNN training, {a.steps} steps of batch {a.batch} (time per step; epoch = all steps)",
            res,
            a.steps,
        )
    if "memory" in only:
        rows = []
        for fw in ["tinygrad_np"] + (["PyTorch"] if torch_available() else []):
            cmd = [sys.executable, "-m", "benchmarks.conv", "--dtype", a.dtype, "--batch", str(a.batch),
                   "--memory-child", fw, str(min(a.steps, 50))]  # fmt: skip
            out = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
            loop = out["loop_peak_mib"]
            rows.append([fw, f"{out['peak_rss_mib']:.0f} MiB", "n/a" if loop is None else f"{loop:.1f} MiB"])
        print("### peak memory of the CNN run (fresh process each)\n")
        print(
            markdown_table(["trainer", "peak RSS", "peak allocated in the loop (tracemalloc)"], rows) + "\n"
        )


class _CpuClock:
    """Stands in for the ``time`` module in benchmarks.harness: perf_counter is the CPU time."""

    perf_counter = staticmethod(time.process_time)
    sleep = staticmethod(time.sleep)


def _table(title: str, res: dict[str, Any], steps: int) -> None:
    base = res["tinygrad_np"].median
    rows = [
        [
            name,
            fmt_time(t.median),
            fmt_time(t.median * steps),
            f"{t.median / base:.2f}",
            f"{t.final_loss:.6g}",
        ]
        for name, t in res.items()
    ]
    if "PyTorch" in res:
        rows.append(["tinygrad_np / PyTorch", f"{base / res['PyTorch'].median:.2f}x", "", "", ""])
    print(f"### {title}\n")
    print(markdown_table(["trainer", "median step", f"x {steps} steps", "ratio", "last value"], rows) + "\n")


if __name__ == "__main__":
    main()
