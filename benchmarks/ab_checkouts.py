"""The same training step timed in two checkouts of tinygrad_np, alternating: did a change make it slower?

    git worktree add ../before <commit>
    python -m benchmarks.ab_checkouts ../before . [--rounds 6] [--dtype float32]

Each round runs a fresh interpreter per checkout (``PYTHONPATH=<checkout>``) that times 200 steps of the cat
model's shape (12288, 20, 7, 5, 1) on 209 random samples in the Layer protocol (forward, BCELoss,
``backward_from``, SGD) and prints the median step; the rounds alternate the two checkouts. Report only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

STEP = """
import time, numpy as np, tinygrad_np as tnp
rng = np.random.default_rng(0)
dt = np.dtype({dtype!r})
m = tnp.Sequential(tnp.Linear(12288, 20, rng=rng), tnp.ReLU(), tnp.Linear(20, 7, rng=rng), tnp.ReLU(),
                   tnp.Linear(7, 5, rng=rng), tnp.ReLU(), tnp.Linear(5, 1, rng=rng), tnp.Sigmoid()).to(dt)
loss, opt = tnp.BCELoss(), tnp.SGD(m.parameters(), lr=0.0075)
x, y = rng.random((209, 12288)).astype(dt), (rng.random(209) > 0.6).astype(dt)
def step():
    loss(m(x), y); m.backward_from(loss); opt.step()
for _ in range(20): step()
ts = []
for _ in range(200):
    t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
print(np.median(ts))
"""


def one_run(checkout: str, dtype: str) -> float:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(checkout))
    out = subprocess.run([sys.executable, "-c", STEP.format(dtype=dtype)], env=env, cwd=checkout,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return float(out.stdout.strip())


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("first")
    p.add_argument("second")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--dtype", default="float32")
    args = p.parse_args(argv)
    times: dict[str, list[float]] = {args.first: [], args.second: []}
    for _ in range(args.rounds):
        for checkout in times:
            times[checkout].append(one_run(checkout, args.dtype))
    for checkout, ts in times.items():
        ms = ", ".join(f"{t * 1e3:.2f}" for t in ts)
        print(f"{checkout}: median {statistics.median(ts) * 1e3:.2f} ms per step ({ms})")
    ratio = statistics.median(times[args.second]) / statistics.median(times[args.first])
    print(f"second / first: {ratio:.3f}")


if __name__ == "__main__":
    main()
