"""The cat example's pictures: the cost curve and a grid of mislabelled images (PNG, Agg)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from tinygrad_np.serialization import atomic_write


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # Agg, never a GUI backend; no pyplot global state
    return fig


def _save(fig, path: str | os.PathLike[str]) -> None:
    with atomic_write(path) as f:
        fig.savefig(f, format="png")


def save_cost_curve(costs: Sequence[float], path: str | os.PathLike[str], title: str = "") -> None:
    """Plot cost against iteration (one cost per iteration) into the PNG ``path``."""
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    ax.plot(np.arange(len(costs)), costs, color="tab:blue")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost (binary cross-entropy)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _save(fig, path)


def save_mislabelled(
    images: np.ndarray,
    y_true: np.ndarray,
    prob: np.ndarray,
    classes: Sequence[str],
    path: str | os.PathLike[str],
    *,
    columns: int = 5,
    limit: int = 30,
) -> int:
    """Grid of the images (m, 64, 64, 3) uint8 whose prediction (prob > 0.5) differs from y_true.

    Each is titled with its predicted and true class and P(cat). Returns how many were wrong.
    """
    y = np.asarray(y_true).reshape(-1).astype(int)
    p = np.asarray(prob).reshape(-1)
    wrong = np.flatnonzero((p > 0.5).astype(int) != y)
    shown = wrong[:limit]
    rows = max(1, -(-len(shown) // columns))
    fig = _figure(2.0 * columns, 2.3 * rows + 0.4)
    title = f"{len(wrong)} mislabelled of {len(y)}"
    fig.suptitle(title + (f" (first {limit} shown)" if len(wrong) > limit else ""))
    if len(shown) == 0:
        fig.text(0.5, 0.5, "no mislabelled images", ha="center", va="center")
    for k, i in enumerate(shown):
        ax = fig.add_subplot(rows, columns, k + 1)
        ax.imshow(images[i], interpolation="nearest")
        ax.set_title(
            f"predicted: {classes[int(p[i] > 0.5)]}\ntrue: {classes[y[i]]}\nP(cat) = {p[i]:.2f}",
            fontsize=8,
        )
        ax.axis("off")
    _save(fig, path)
    return len(wrong)
