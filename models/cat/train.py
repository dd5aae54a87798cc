"""Training the cat models with ``tnp.fit``: the course's full-batch gradient descent by default, or the
training tools (Adam / AdamW, momentum, mini-batches, weight decay, dropout) when asked for."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_np as tnp


class CourseLog(tnp.Callback):
    """Prints "Cost after iteration i: cost" as the course does: every ``every`` epochs (with the
    full batch an epoch is one iteration) and after the last. The cost is the one computed before
    that iteration's update."""

    reads_weights = False  # only the loss: full-batch runs may take fit()'s fast path

    def __init__(self, every: int, unit: str = "iteration", write: Callable[[str], None] = print) -> None:
        self.every, self.unit, self.write = every, unit, write

    def on_epoch_end(self, state: Any) -> None:
        i = state.epoch - 1
        if self.every and (i % self.every == 0 or state.epoch == state.epochs):
            self.write(f"Cost after {self.unit} {i}: {state.history['loss'][-1]}")


def train(
    model: tnp.Sequential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 2500,
    lr: float = 0.0075,
    optimizer: str = "sgd",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    batch_size: int | None = None,
    seed: int = 1,
    checkpoint: str | None = None,
    resume_from: str | None = None,
    print_every: int = 100,
    progress: bool | None = None,
) -> tnp.History:
    """Train on x (m, 12288), y (m, 1) with binary cross-entropy; returns fit()'s History.

    The defaults are the course's: full-batch SGD, lr 0.0075, 2500 iterations (= epochs). Mini-batches
    are shuffled with ``default_rng(seed)``. ``progress``: a tqdm bar (None: only on a terminal).
    """
    if progress is None:
        progress = sys.stdout.isatty()
    write: Callable[[str], None] = print
    if progress:
        from tqdm import tqdm

        write = tqdm.write  # prints above the bar instead of through it
    unit = "iteration" if batch_size is None else "epoch"
    opt = tnp.optim.make_optimizer(
        optimizer, model.parameters(), lr, momentum=momentum, weight_decay=weight_decay
    )
    return tnp.fit(
        model,
        tnp.BCELoss(),
        opt,
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        rng=np.random.default_rng(seed),
        callbacks=[CourseLog(print_every, unit, write)],
        checkpoint=checkpoint,
        resume_from=resume_from,
        progress="bar" if progress else "none",
        progress_unit=unit,
    )


def train_full_batch(
    model: tnp.Sequential, x: np.ndarray, y: np.ndarray, *, iterations: int = 2500, lr: float = 0.0075
) -> list[float]:
    """The course's loop, as in the course: returns every iteration's cost."""
    return train(model, x, y, epochs=iterations, lr=lr, progress=False)["loss"]
