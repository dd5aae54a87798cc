"""Training the cat models with ``tnp.fit``: the course's full-batch gradient descent by default, or the
training tools (Adam / AdamW, momentum, mini-batches, weight decay, dropout) when asked for."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import tinygrad_np as tnp


class CourseLog(tnp.Callback):
    """Prints "Cost after iteration i: cost" as the course does: every ``every`` epochs (with the
    full batch an epoch is one iteration) and after the last. The cost is the one computed before
    that iteration's update. As a callback it prints while training; ``replay`` prints the same lines
    from a History afterwards (fit's fast path runs without callbacks)."""

    def __init__(self, every: int, unit: str = "iteration", write: Callable[[str], None] = print) -> None:
        self.every, self.unit, self.write = every, unit, write

    def on_epoch_end(self, state: Any) -> None:
        self._line(state.epoch, state.epochs, state.history["loss"][-1])

    def replay(self, history: tnp.History, epochs: int, after: int = 0) -> None:
        """The lines of the epochs after ``after`` (a resumed run's start) of a run of ``epochs``."""
        for epoch, loss in zip(history.epochs, history["loss"] if len(history) else [], strict=True):
            if epoch > after:
                self._line(epoch, epochs, loss)

    def _line(self, epoch: int, epochs: int, loss: float) -> None:
        i = epoch - 1
        if self.every and (i % self.every == 0 or epoch == epochs):
            self.write(f"Cost after {self.unit} {i}: {loss}")


def fewer_multiply_adds(layer_sizes: Sequence[int], m: int) -> float:
    """How many times fewer multiply-adds a full-batch iteration of ``m`` samples takes with fit's
    fast path: the first layer's two products with x (2·m·n·h) become one (m, m) by (m, h) product;
    the other layers (forward, weight and input gradients) are the same."""
    n, h = layer_sizes[0], layer_sizes[1]
    rest = sum(3 * m * a * b for a, b in itertools.pairwise(layer_sizes[1:]))
    return (2 * m * n * h + rest) / (m * m * h + rest)


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
    checkpoint_every: float = 5.0,
    checkpoint_extra: dict[str, np.ndarray] | None = None,
    resume_from: str | None = None,
    print_every: int = 100,
    progress: bool | None = None,
    fast: bool = False,
) -> tnp.History:
    """Train on x (m, 12288), y (m, 1) with binary cross-entropy; returns fit()'s History.

    The defaults are the course's: full-batch SGD, lr 0.0075, 2500 iterations (= epochs). Mini-batches
    are shuffled with ``default_rng(seed)``. ``progress``: a tqdm bar (None: only on a terminal).
    ``fast``: fit's fast path (the first layer in sample space; full-batch SGD without a checkpoint);
    the cost lines are then printed when training ends (or stops), from the History. ``checkpoint``:
    a ModelCheckpoint written at most every ``checkpoint_every`` seconds (and at the end and on Ctrl-C),
    recording ``checkpoint_extra`` (the command line's settings).
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
    log = CourseLog(print_every, unit, write)
    after = _resumed_epoch(resume_from) if fast else 0
    try:
        history = tnp.fit(
            model,
            tnp.BCELoss(),
            opt,
            x,
            y,
            epochs=epochs,
            batch_size=batch_size,
            rng=np.random.default_rng(seed),
            callbacks=([] if fast else [log])
            + (
                [tnp.ModelCheckpoint(checkpoint, every=checkpoint_every, extra=checkpoint_extra)]
                if checkpoint
                else []
            ),
            resume_from=resume_from,
            progress="bar" if progress else "none",
            progress_unit=unit,
            fast_path=fast,
        )
    except tnp.TrainingDivergedError as e:
        if fast:
            log.replay(e.history, epochs, after)
        raise
    if fast:
        log.replay(history, epochs, after)
    return history


def _resumed_epoch(path: str | None) -> int:
    """The epochs a checkpoint had completed (0 without one)."""
    return int(tnp.load_checkpoint(path)["epoch"]) if path else 0


def train_full_batch(
    model: tnp.Sequential, x: np.ndarray, y: np.ndarray, *, iterations: int = 2500, lr: float = 0.0075
) -> list[float]:
    """The course's loop, as in the course: returns every iteration's cost."""
    return train(model, x, y, epochs=iterations, lr=lr, progress=False)["loss"]
