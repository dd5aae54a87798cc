"""fit() end to end on the cat model with ``fast_path=True`` and without it (the default):
``python -m benchmarks.fit_fastpath``.

Full-batch SGD, lr 0.0075, 2500 iterations (``--iterations``), the course's init; runs on, off, on in
the same process for each dtype and prints the wall time and the final loss of each run. The History,
the set-up and writing the weights back are included: this is what a user of ``fit()`` waits for.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import tinygrad_np as tnp

from .data import load_cat
from .implementations import build_tinygrad_np, initial_weights
from .memory import CAT_DIMS, CAT_LR


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fit_fastpath", description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=2500)
    p.add_argument("--dtype", default="float64,float32")
    args = p.parse_args(argv)
    for name in args.dtype.split(","):
        dtype = np.dtype(name.strip())
        x, y, source = load_cat(dtype)
        for fast in (True, False, True):
            model = build_tinygrad_np(initial_weights(CAT_DIMS, dtype))
            opt = tnp.SGD(model.parameters(), lr=CAT_LR)
            t = time.perf_counter()
            h = tnp.fit(
                model, tnp.BCELoss(), opt, x, y, epochs=args.iterations, progress="none", fast_path=fast
            )
            seconds = time.perf_counter() - t
            print(
                f"{dtype} fast_path={fast!s:5} {seconds:7.2f} s  final loss {h['loss'][-1]:.10f}  ({source})"
            )


if __name__ == "__main__":
    main()
