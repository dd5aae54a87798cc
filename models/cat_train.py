"""The course's training loop: full-batch gradient descent on binary cross-entropy."""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

import tinygrad_np as tnp


def train_full_batch(
    model: tnp.Sequential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    iterations: int = 2500,
    lr: float = 0.0075,
    print_every: int = 100,
    log: Callable[[str], None] = print,
    progress: bool | None = None,
) -> list[float]:
    """Run ``iterations`` steps of SGD on all of x (m, n) and y (m, 1); return every step's cost.

    Like the course, prints "Cost after iteration i: cost" when i % print_every == 0 and at the
    last iteration (the cost is the one computed before that iteration's update).
    ``progress``: a tqdm bar (None: only when stdout is a terminal).
    """
    loss_fn = tnp.BCELoss()
    opt = tnp.SGD(model.parameters(), lr=lr)
    model.train()
    if progress is None:
        progress = sys.stdout.isatty()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=iterations, unit="it", leave=False)
        log = bar.write
    costs: list[float] = []
    try:
        for i in range(iterations):
            cost = loss_fn(model(x), y)
            model.backward(loss_fn.backward())
            opt.step()
            costs.append(cost)
            if print_every and (i % print_every == 0 or i == iterations - 1):
                log(f"Cost after iteration {i}: {cost}")
            if bar is not None:
                bar.update()
                bar.set_postfix(cost=f"{cost:.4f}", refresh=False)
    finally:
        if bar is not None:
            bar.close()
    return costs
