"""What the data pipeline costs beside a training step: ``python -m benchmarks.transforms``.

A Fashion-sized batch (256 × 1 × 28 × 28, uint8 pixels drawn at random, as the pipeline sees them before
ToFloat) through each transform, the whole augmentation pipeline, and a DataLoader batch (shuffled
gather from 60000 images + the pipeline); then one training step (forward, loss, backward, SGD step) of
the Fashion CNN (models/fashion/model.py, default channels) on the same batch. Wall time and CPU time,
the median of ``--repeats`` runs after one warm-up. The machine is shared: read the numbers as noisy.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import tinygrad_np as tnp
from models.fashion.model import cnn
from tinygrad_np.data import DataLoader, TensorDataset
from tinygrad_np.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToFloat

from .harness import markdown_table


def _time(f: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``f()`` over ``repeats`` runs, after one warm-up run."""
    f()
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        f()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return float(np.median(wall)), float(np.median(cpu))


def _cases(batch: int, samples: int) -> dict[str, Callable[[], object]]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(samples, 1, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=samples)
    xb = images[:batch]
    xf = ToFloat()(xb)
    pipeline = Compose(
        [ToFloat(), RandomCrop(28, padding=2), RandomHorizontalFlip(), Normalize(0.286, 0.353)]
    )
    loader = DataLoader(TensorDataset(images, labels), batch, shuffle=True, transform=pipeline, rng=rng)
    order = rng.permutation(samples)
    return {
        "ToFloat (uint8 -> float32 / 255)": lambda: ToFloat()(xb),
        "Normalize (1 channel)": lambda: Normalize(0.286, 0.353)(xf),
        "RandomCrop(28, padding=2)": lambda: RandomCrop(28, padding=2)(xf, rng),
        "RandomHorizontalFlip()": lambda: RandomHorizontalFlip()(xf, rng),
        "the four composed": lambda: pipeline(xb, rng),
        "DataLoader batch (gather + the four)": lambda: next(loader.batches(order)),
    }


def _step(batch: int) -> Callable[[], object]:
    rng = np.random.default_rng(1)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=batch)
    model = cnn()
    loss_fn = tnp.CrossEntropyLoss()
    opt = tnp.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()

    def step() -> None:
        loss_fn(model(x), y)
        model.backward_from(loss_fn)
        opt.step()

    return step


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.transforms", description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--samples", type=int, default=60000, help="images the DataLoader gathers from")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--no-step", action="store_true", help="skip the training step (smoke tests)")
    args = p.parse_args(argv)
    times = {name: _time(f, args.repeats) for name, f in _cases(args.batch, args.samples).items()}
    step = None if args.no_step else _time(_step(args.batch), max(3, args.repeats // 4))
    rows = []
    for name, (wall, cpu) in times.items():
        share = f"{wall / step[0]:.2%} / {cpu / step[1]:.2%}" if step else "-"
        rows.append([name, f"{wall * 1e3:.2f} ms", f"{cpu * 1e3:.2f} ms", share])
    if step:
        rows.append(
            ["Fashion CNN training step", f"{step[0] * 1e3:.1f} ms", f"{step[1] * 1e3:.1f} ms", "100%"]
        )
    title = f"### transforms on a batch of {args.batch} x 1 x 28 x 28, median of {args.repeats}"
    print(f"{title} (a shared machine: noisy)")
    print(markdown_table(["", "wall", "CPU", "of a training step (wall / CPU)"], rows))


if __name__ == "__main__":
    main()
