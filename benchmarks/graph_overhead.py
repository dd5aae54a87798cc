"""Batch-1 overhead of one training step of a 16-wide MLP (16, 16, 16, 1): the array path
(``model.backward``), graph mode (``loss.backward()``) and PyTorch autograd, side by side.

    python -m benchmarks.graph_overhead [--steps N]

Prints the median time per step (of 5 rounds, alternating) and the ratios. Report only: no target
is checked here, and the numbers depend on the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from .implementations import (
    initial_weights,
    tinygrad_np_graph_trainer,
    tinygrad_np_trainer,
    torch_available,
    torch_trainer,
)

DIMS = (16, 16, 16, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, DIMS[0]))
    y = rng.integers(0, 2, size=256).astype(np.float64)
    batches = [(x[i : i + 1], y[i : i + 1]) for i in range(len(x))]
    weights = initial_weights(DIMS)
    factories: dict[str, Callable] = {
        "array path": tinygrad_np_trainer,
        "graph mode": tinygrad_np_graph_trainer,
    }
    if torch_available():
        factories["PyTorch"] = torch_trainer
    steps = {name: f(weights, 0.01, batches) for name, f in factories.items()}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(5):
        for name, step in steps.items():
            t0 = time.perf_counter()
            for i in range(args.steps):
                step(i)
            times[name].append((time.perf_counter() - t0) / args.steps)
    base = statistics.median(times["array path"])
    print(f"batch-1 step of an MLP {DIMS}, float64, median of 5 rounds of {args.steps} steps")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"  {name:11s} {m * 1e6:8.1f} µs/step   × array path {m / base:5.2f}")


if __name__ == "__main__":
    main()
