"""The character-level GPT against PyTorch: ``python -m benchmarks.gpt [--steps N] [--repeats K]``.

One training iteration of models/shakespeare at nanoGPT's CPU configuration (4 layers, 4 heads, 128
wide, context 64, batch 12, float32): forward, cross-entropy, backward, gradient clipping at 1.0, the
learning rate of the schedule, AdamW with weight decay on the matrices. tinygrad_np runs the example's
own ``train.step``; PyTorch runs the same model written in ``benchmarks/gpt_torch.py``, from the same
initial weights, on the same batches, with ``torch.set_num_threads`` equal to NumPy's BLAS threads. They
alternate in chunks in one process (benchmarks/harness.py), a short untimed pause before each chunk.

Also printed: the peak memory of each (its own fresh process: peak RSS, interpreter and libraries
included, and its growth from after the model was built), and the floor: the step's matrix-product
FLOPs divided by a float32 matmul rate measured here on the step's own product shapes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .harness import Timing, alternate, fmt_time, markdown_table
from .implementations import blas_threads, torch_available
from .memory import peak_rss_mib

ROOT = Path(__file__).resolve().parents[1]
TNP, TORCH = "tinygrad_np", "PyTorch"
Step = Callable[[int], float]


def setup(batch_size: int = 12, seed: int = 1337, n_batches: int = 50) -> tuple[Any, Any, dict, list]:
    """(the model config, the recipe, the initial weights, the batches): nanoGPT's CPU configuration;
    batches of random text (the speed does not depend on which characters)."""
    from models.shakespeare.data import get_batch
    from models.shakespeare.model import GPT, GPTConfig
    from models.shakespeare.train import TrainConfig

    config, recipe = GPTConfig(), TrainConfig(batch_size=batch_size, seed=seed)
    state = GPT(config, rng=seed, dtype=np.float32).state_dict()
    rng = np.random.default_rng(seed)
    text = rng.integers(config.vocab_size, size=100_000)
    batches = [get_batch(text, config.block_size, batch_size, rng) for _ in range(n_batches)]
    return config, recipe, state, batches


def tnp_trainer(config: Any, recipe: Any, state: dict, batches: list) -> Callable[[], Step]:
    def make() -> Step:
        from models.shakespeare.model import GPT
        from models.shakespeare.train import Run, step

        model = GPT(config, rng=0, dtype=np.float32)
        model.load_state_dict(state)
        run = Run.start(model, recipe, "?" * config.vocab_size)

        def one(i: int) -> float:
            run.iteration = i
            return step(run, *batches[i % len(batches)])

        return one

    return make


def torch_trainer(config: Any, recipe: Any, state: dict, batches: list) -> Callable[[], Step]:
    def make() -> Step:
        import torch

        from models.shakespeare.train import get_lr

        from .gpt_torch import torch_adamw, torch_gpt

        model = torch_gpt(config, state)
        opt = torch_adamw(model, recipe.weight_decay, recipe.learning_rate, (recipe.beta1, recipe.beta2))
        tensors = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]

        def one(i: int) -> float:
            for group in opt.param_groups:
                group["lr"] = get_lr(i, recipe)
            _, loss = model(*tensors[i % len(tensors)])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
            opt.step()
            return float(loss.item())

        return one

    return make


# -- the floor ---------------------------------------------------------------------------------------


def product_shapes(config: Any, batch: int) -> list[tuple[int, int, int, int, int]]:
    """(repeats, stack, m, k, n) of the forward pass's matrix products, each a stack of ``stack`` (m, k) x
    (k, n) products done ``repeats`` times: per layer q, k, v in one (BT, C) x (C, 3C), attention's q kᵀ
    and weights x v (B·heads of (T, hs) x (hs, T) and (T, T) x (T, hs)), the output projection, the MLP's
    two; then lm_head. The backward pass does two products of the same size for each."""
    B, T, C, L, H = batch, config.block_size, config.n_embd, config.n_layer, config.n_head
    hs, bt = C // H, batch * config.block_size
    per_layer = [(1, bt, C, 3 * C), (B * H, T, hs, T), (B * H, T, T, hs), (1, bt, C, C)]
    per_layer += [(1, bt, C, 4 * C), (1, bt, 4 * C, C)]
    return [(L, *shape) for shape in per_layer] + [(1, 1, bt, C, config.vocab_size)]


def step_flops(config: Any, batch: int) -> float:
    """2 × the multiply-adds of one training step's matrix products: 3 × the forward pass's."""
    return 3.0 * sum(2.0 * r * s * m * k * n for r, s, m, k, n in product_shapes(config, batch))


def matmul_seconds(config: Any, batch: int, rounds: int = 30) -> float:
    """The median time (over ``rounds``) of one step's products done back to back as plain float32 NumPy
    matmuls into preallocated outputs, each forward shape 3 times (its two backward products have the
    same size). A framework doing the step's products on this BLAS is unlikely to be faster."""
    rng = np.random.default_rng(0)
    ops = []
    for r, stack, m, k, n in product_shapes(config, batch):
        a = rng.standard_normal((stack, m, k)).astype(np.float32)
        b = rng.standard_normal((stack, k, n)).astype(np.float32)
        a, b = (a[0], b[0]) if stack == 1 else (a, b)
        ops.append((a, b, np.empty((*a.shape[:-1], n), np.float32), 3 * r))
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for a, b, out, reps in ops:
            for _ in range(reps):
                np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# -- memory, each in a fresh process -------------------------------------------------------------


def memory_child(name: str, steps: int) -> dict[str, float]:
    """Build ``name``'s trainer, note the RSS, train ``steps`` steps: the peaks in MiB."""
    config, recipe, state, batches = setup()
    if name == TORCH:
        import torch

        torch.set_num_threads(blas_threads())
    make = (tnp_trainer if name == TNP else torch_trainer)(config, recipe, state, batches)
    step = make()
    built = peak_rss_mib()
    for i in range(steps):
        step(i)
    peak = peak_rss_mib()
    return {"peak_rss_mib": peak, "built_rss_mib": built, "growth_mib": peak - built}


def peak_memory(name: str, steps: int) -> dict[str, float]:
    cmd = [sys.executable, "-m", "benchmarks.gpt", "--memory-child", name, "--steps", str(steps)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the report ----------------------------------------------------------------------------------


def gpt_workload(
    steps: int = 100, repeats: int = 1, chunk: int = 10, pause: float = 0.2, memory: bool = True
) -> tuple[str, dict[str, Timing], list[tuple[str, float, float]]]:
    """Time both, print-ready: (markdown text, timings, checks [(label, value, limit)])."""
    config, recipe, state, batches = setup()
    threads = blas_threads()
    factories = {TNP: tnp_trainer(config, recipe, state, batches)}
    notes = [
        f"NumPy BLAS threads: {threads}" + (", torch.set_num_threads the same" if torch_available() else "")
    ]
    if torch_available():
        import torch

        torch.set_num_threads(threads)
        factories[TORCH] = torch_trainer(config, recipe, state, batches)
    else:
        notes.append("PyTorch is not installed: its row is left out (pip install torch to add it).")
    timings = alternate(factories, steps, max(1, min(chunk, steps)), repeats, pause=pause)
    floor = matmul_seconds(config, recipe.batch_size)
    flops = step_flops(config, recipe.batch_size)
    mem = {n: peak_memory(n, min(steps, 10)) for n in factories} if memory else {}
    header = [
        "implementation",
        "median / step",
        "× PyTorch",
        "× floor",
        "final loss",
        "peak RSS",
        "RSS growth",
    ]
    rows = []
    ref = timings[TORCH].median if TORCH in timings else None
    for name, t in timings.items():
        m = mem.get(name, {})
        rows.append([
            name, fmt_time(t.median), "–" if ref is None else f"{t.median / ref:.2f}",
            f"{t.median / floor:.1f}",
            f"{t.final_loss:.6f}", f"{m['peak_rss_mib']:.0f} MiB" if m else "–",
            f"{m['growth_mib']:.0f} MiB" if m else "–",
        ])  # fmt: skip
    rows.append(["floor (the products alone)", fmt_time(floor), "–" if ref is None else f"{floor / ref:.2f}",
                 "1.0", "–", "–", "–"])  # fmt: skip
    title = (
        f"### gpt: {config.n_layer} layers, {config.n_head} heads, {config.n_embd} wide, context "
        f"{config.block_size}, batch {recipe.batch_size}, float32, {steps} training steps x {repeats}"
    )
    notes.append(
        f"floor: {flops / 1e9:.2f} GFLOP of matrix products per step at the measured "
        f"{flops / floor / 1e9:.1f} GFLOP/s. Peak RSS: a fresh process each, interpreter and libraries "
        "included; growth: from after the model was built to after 10 steps."
    )
    checks = [(f"gpt float32: tinygrad_np / {TORCH}", timings[TNP].median / ref, 0.8)] if ref else []
    text = f"{title}\n\n" + markdown_table(header, rows) + "\n\n" + "\n".join(f"- {n}" for n in notes)
    return text, timings, checks


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.gpt", description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=100, help="training steps per trainer (default 100)")
    p.add_argument("--repeats", type=int, default=1, help="repeat the timing K times (default 1)")
    p.add_argument("--chunk", type=int, default=10, help="steps per turn (default 10)")
    p.add_argument("--pause", type=float, default=0.2, help="idle seconds before each chunk (0.2)")
    p.add_argument("--no-memory", action="store_true", help="skip the memory processes")
    p.add_argument("--memory-child", choices=(TNP, TORCH), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.memory_child:
        print(json.dumps(memory_child(a.memory_child, a.steps)))
        return
    text, _, checks = gpt_workload(a.steps, a.repeats, a.chunk, a.pause, not a.no_memory)
    print(text)
    for label, value, limit in checks:
        print(f"- {label}: {value:.2f} (target ≤ {limit:.2f}): {'met' if value <= limit else 'NOT met'}")


if __name__ == "__main__":
    main()
