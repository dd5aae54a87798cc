"""Training the Fashion-MNIST models with ``tnp.fit``: cross-entropy, mini-batches, a validation split."""

from __future__ import annotations

import math

import numpy as np

import tinygrad_np as tnp
from tinygrad_np.data import DataLoader, TensorDataset
from tinygrad_np.data.transforms import Transform

from .callbacks import PerStepSchedule, TimeBudget


def split_train_val(
    x: np.ndarray, y: np.ndarray, val_size: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val): ``val_size`` samples drawn at random (``default_rng(seed)``)
    out of (x, y) for validation, the rest for training; the classes take turns, so with balanced
    classes (as Fashion-MNIST's) every class gets the same share. Both parts keep the original order."""
    if not 0 <= val_size < len(x):
        raise ValueError(
            f"--val-size must be in [0, {len(x) - 1}] for {len(x)} training images, got {val_size}"
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    # Stratified: rank each sample within its class (in the random order), then take the lowest ranks,
    # so the classes alternate; the stable sort keeps the random order among equal ranks.
    rank = np.empty(len(x), dtype=np.int64)
    for c in np.unique(y):
        idx = order[y[order] == c]
        rank[idx] = np.arange(len(idx))
    by_rank = order[np.argsort(rank[order], kind="stable")]
    val_idx, train_idx = np.sort(by_rank[:val_size]), np.sort(by_rank[val_size:])
    return x[train_idx], y[train_idx], x[val_idx], y[val_idx]


SCHEDULES = ("cosine", "constant", "warmup-cosine")


def train(
    model: tnp.Sequential,
    x: np.ndarray,
    y: np.ndarray,
    *,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    epochs: int = 10,
    lr: float = 1e-3,
    optimizer: str = "adam",
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    batch_size: int = 128,
    schedule: str = "cosine",
    warmup_epochs: int = 1,
    label_smoothing: float = 0.0,
    transform: Transform | None = None,
    time_budget: float | None = None,
    seed: int = 0,
    checkpoint: str | None = None,
    checkpoint_every: float = 5.0,
    checkpoint_extra: dict[str, np.ndarray] | None = None,
    resume_from: str | None = None,
    progress: str = "auto",
) -> tnp.History:
    """Train on images x (N, 1, 28, 28) and labels y (N,) int64 with CrossEntropyLoss (``label_smoothing``);
    fit()'s History (loss, accuracy, and val_loss, val_accuracy with ``validation_data``).

    ``schedule``: "cosine" anneals the learning rate to 0 over ``epochs`` (stepped after each epoch),
    "constant" keeps it, "warmup-cosine" rises linearly over ``warmup_epochs`` then anneals to 0 at the
    last step (``CosineWarmupLR``, stepped after every optimiser step). Mini-batches are shuffled with
    ``default_rng(seed)``; with a ``transform`` (augmentation) they come from a ``tnp.data.DataLoader``
    drawing the order and the augmentations from that one generator, which fit's checkpoint keeps, so a
    resumed run draws what an uninterrupted one would. The validation images are never transformed.
    ``time_budget``: seconds of training (see callbacks.TimeBudget). ``checkpoint``: a ModelCheckpoint
    written at most every ``checkpoint_every`` seconds (and at the end and on Ctrl-C), recording
    ``checkpoint_extra`` (the command line's settings).
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    opt = tnp.optim.make_optimizer(
        optimizer, model.parameters(), lr, momentum=momentum, weight_decay=weight_decay
    )
    rng = np.random.default_rng(seed)
    data: tuple = (x, y)
    batches: dict = {"batch_size": batch_size, "rng": rng}
    if transform is not None:
        data = (DataLoader(TensorDataset(x, y), batch_size, shuffle=True, transform=transform, rng=rng),)
        batches = {}
    callbacks: list[tnp.Callback] = []
    scheduler = tnp.optim.CosineAnnealingLR(opt, T_max=epochs) if schedule == "cosine" else None
    if schedule == "warmup-cosine":
        steps = math.ceil(len(y) / batch_size)
        if not warmup_epochs < epochs:
            raise ValueError(f"--warmup-epochs must be less than --epochs ({epochs}), got {warmup_epochs}")
        warmup = tnp.optim.CosineWarmupLR(opt, warmup_epochs * steps, epochs * steps)
        callbacks.append(PerStepSchedule(warmup))
    if time_budget is not None:
        callbacks.append(TimeBudget(time_budget))
    if checkpoint:
        callbacks.append(tnp.ModelCheckpoint(checkpoint, every=checkpoint_every, extra=checkpoint_extra))
    return tnp.fit(
        model,
        tnp.CrossEntropyLoss(label_smoothing=label_smoothing),
        opt,
        *data,
        epochs=epochs,
        **batches,
        validation_data=validation_data,
        scheduler=scheduler,
        callbacks=callbacks,
        resume_from=resume_from,
        progress=progress,
        log_every=1,
    )
