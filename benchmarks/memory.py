"""Peak memory of a cat run, measured in a fresh process: ``python -m benchmarks.memory TRAINER DTYPE N``.

Prints one JSON line:

- ``peak_rss_mib``: the process's peak resident set size (``VmHWM``) after loading the data,
  building the model and training N iterations: everything the run held in RAM at its worst
  moment, interpreter, NumPy/h5py (and torch) libraries included.
- ``loop_peak_mib``: the peak of memory allocated *during the training loop* above what was allocated
  when it started, traced with ``tracemalloc`` (NumPy reports its array buffers to it; PyTorch and JAX do
  not, so this is null for them).
"""

from __future__ import annotations

import json
import resource
import sys
import tracemalloc

import numpy as np

from .data import load_cat
from .implementations import TRAINERS, initial_weights

CAT_DIMS = (12288, 20, 7, 5, 1)
CAT_LR = 0.0075


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB.

    Linux: ``VmHWM`` from /proc/self/status. Not ``ru_maxrss``: that one is carried over from the
    parent through fork and exec, so a child of a big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return rss / (2**20 if sys.platform == "darwin" else 2**10)


def measure(trainer: str, dtype: str, iterations: int) -> dict[str, float | None]:
    """Load the cat data, build ``trainer``, train ``iterations`` steps; return the peaks in MiB."""
    x, y, _ = load_cat(np.dtype(dtype))
    step = TRAINERS[trainer](initial_weights(CAT_DIMS, np.dtype(dtype)), CAT_LR, [(x, y)])
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    for i in range(iterations):
        step(i)
    peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    return {
        "peak_rss_mib": peak_rss_mib(),
        "loop_peak_mib": None if trainer in ("PyTorch", "JAX (jit)") else peak / 2**20,
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    trainer, dtype, iterations = args[0], args[1], int(args[2])
    print(json.dumps(measure(trainer, dtype, iterations)))


if __name__ == "__main__":
    main()
