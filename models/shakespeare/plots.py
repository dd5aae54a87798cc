"""The loss curve (PNG, Agg; matplotlib is part of the ``cat`` extra)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from models.cat.plots import _figure, _save  # the cat example's Agg figure and atomic PNG write


def save_loss_curve(
    losses: Sequence[float],
    evals: Sequence[tuple[int, float, float]],
    path: str | os.PathLike[str],
    title: str = "",
) -> None:
    """Each step's training loss (faint), and the estimated train and validation losses (points)."""
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    ax.plot(np.arange(1, len(losses) + 1), losses, color="tab:blue", alpha=0.3, label="batch loss")
    if evals:
        steps, train, val = zip(*evals, strict=True)
        ax.plot(steps, train, "o-", color="tab:blue", label="train loss (estimate)")
        ax.plot(steps, val, "o-", color="tab:orange", label="validation loss (estimate)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    _save(fig, path)
