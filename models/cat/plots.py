"""The cat example's pictures (PNG, Agg): the cost curve, a grid of mislabelled images, one test picture
captioned as the course's notebooks do, and a grid of predictions."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tinygrad_np.serialization import atomic_write


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # Agg, never a GUI backend; no pyplot global state
    return fig


def integer_ticks(ax) -> None:
    """Ticks on whole numbers only along x (iterations, epochs): one epoch is not drawn from 0.94 to 1.06."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def _save(fig, path: str | os.PathLike[str]) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)  # a new folder is created, as for checkpoints
    with atomic_write(path) as f:
        fig.savefig(f, format="png")


def save_cost_curve(
    costs: Sequence[float],
    path: str | os.PathLike[str],
    title: str = "",
    *,
    unit: str = "iteration",
    interrupted: bool = False,
) -> None:
    """Plot cost against ``unit`` (one cost each) into the PNG ``path``; an ``interrupted`` run gets a
    red line and a note at its last point."""
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    ax.plot(np.arange(len(costs)), costs, color="tab:blue")
    if interrupted:
        last = len(costs) - 1
        ax.axvline(last, color="tab:red", linestyle="--")
        ax.text(
            last,
            max(costs) if costs else 0,
            f" interrupted ({unit} {last})",
            color="tab:red",
            ha="right",
            va="top",
        )
        title = f"{title} (interrupted)" if title else "interrupted"
    ax.set_xlabel(unit)
    integer_ticks(ax)
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
    names: Sequence[str] = (),
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
        name = f"{_short(names[i])}\n" if len(names) > i else ""
        ax.set_title(
            f"{name}predicted: {classes[int(p[i] > 0.5)]}\ntrue: {classes[y[i]]}\nP(cat) = {p[i]:.2f}",
            fontsize=8,
        )
        ax.axis("off")
    _save(fig, path)
    return len(wrong)


def _short(name: str, width: int = 24) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1) :]


def caption(true_label: int | None, prob: float, classes: Sequence[str] = ("non-cat", "cat")) -> str:
    """ "This is a cat image / You predicted: non-cat (P = 0.48)", the notebooks' caption."""
    verdict = f"You predicted: {classes[int(prob > 0.5)]} (P = {prob:.2f})"
    return verdict if true_label is None else f"This is a {classes[int(true_label)]} image\n{verdict}"


def save_captioned(image: np.ndarray, text: str, path: str | os.PathLike[str], name: str = "") -> None:
    """One (64, 64, 3) uint8 picture with ``text`` above it (and its file ``name`` below)."""
    fig = _figure(4, 4.6)
    ax = fig.add_subplot()
    ax.imshow(image, interpolation="nearest")
    ax.set_title(text)
    ax.axis("off")
    if name:
        fig.text(0.5, 0.01, _short(name, 48), ha="center", va="bottom", fontsize=8)
    _save(fig, path)


def save_prediction_grid(
    images: Sequence[np.ndarray],
    names: Sequence[str],
    probs: Sequence[float],
    path: str | os.PathLike[str],
    *,
    classes: Sequence[str] = ("non-cat", "cat"),
    columns: int = 4,
) -> None:
    """A grid of pictures, each captioned with its file name, the verdict and P(cat)."""
    columns = max(1, min(columns, len(images)))
    rows = max(1, -(-len(images) // columns))
    fig = _figure(2.4 * columns, 2.7 * rows)
    for k, (image, name, p) in enumerate(zip(images, names, probs, strict=True)):
        ax = fig.add_subplot(rows, columns, k + 1)
        ax.imshow(image, interpolation="nearest")
        ax.set_title(f"{_short(name)}\n{classes[int(p > 0.5)]} (P(cat) = {p:.2f})", fontsize=8)
        ax.axis("off")
    _save(fig, path)
