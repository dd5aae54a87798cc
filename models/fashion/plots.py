"""The Fashion-MNIST example's pictures (PNG, Agg, written atomically): loss and accuracy curves, the
confusion matrix, and a grid of test images titled with predicted and true class."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np

from models.cat.plots import _figure, _save, _short, integer_ticks


def save_curves(
    history: Mapping[str, Sequence[float]], path: str | os.PathLike[str], title: str = ""
) -> None:
    """Loss (left) and accuracy (right) per epoch, training and validation when present."""
    fig = _figure(10, 4)
    fig.suptitle(title)
    for k, (metric, label) in enumerate((("loss", "cross-entropy loss"), ("accuracy", "accuracy"))):
        ax = fig.add_subplot(1, 2, k + 1)
        for prefix, name, style in (("", "train", "-o"), ("val_", "validation", "-s")):
            values = history.get(prefix + metric)
            if values:
                ax.plot(np.arange(1, len(values) + 1), values, style, markersize=3, label=name)
        ax.set_xlabel("epoch")
        integer_ticks(ax)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if ax.get_lines():  # (none after a Ctrl-C in the first epoch)
            ax.legend()
    _save(fig, path)


def save_confusion(
    cm: np.ndarray, classes: Sequence[str], path: str | os.PathLike[str], title: str = ""
) -> None:
    """The C×C confusion matrix (rows: true class, columns: predicted), counts written in the cells."""
    cm = np.asarray(cm)
    fig = _figure(8, 7)
    ax = fig.add_subplot()
    image = ax.imshow(cm, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ticks = np.arange(len(classes))
    ax.set_xticks(ticks, classes, rotation=45, ha="right")
    ax.set_yticks(ticks, classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    high = cm.max() / 2 if cm.size else 0
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7, color="white" if v > high else "black")
    _save(fig, path)


def save_predictions(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: Sequence[str],
    path: str | os.PathLike[str],
    *,
    columns: int = 8,
    count: int = 32,
    split: str = "test",
) -> None:
    """The first ``count`` images (N, 1, 28, 28) or (N, 28, 28) in a grid, each titled "predicted /
    true"; wrong predictions in red."""
    shown = min(count, len(images))
    rows = max(1, -(-shown // columns))
    fig = _figure(1.6 * columns, 1.9 * rows + 0.4)
    wrong = int(np.count_nonzero(np.asarray(y_pred)[:shown] != np.asarray(y_true)[:shown]))
    fig.suptitle(f"predicted / true class: first {shown} {split} images, {wrong} wrong (red)")
    for k in range(shown):
        ax = fig.add_subplot(rows, columns, k + 1)
        ax.imshow(
            np.asarray(images[k]).reshape(28, 28), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest"
        )
        ok = y_pred[k] == y_true[k]
        ax.set_title(
            f"{classes[y_pred[k]]}\n{classes[y_true[k]]}", fontsize=7, color="black" if ok else "tab:red"
        )
        ax.axis("off")
    _save(fig, path)


def save_prediction_grid(
    shown: Sequence[tuple[np.ndarray, str, str, float]], path: str | os.PathLike[str], *, columns: int = 4
) -> None:
    """``predict --grid``: the pictures as the model saw them (28×28 grayscale), each captioned with its
    file name, the predicted class and its probability; ``shown`` holds (image, name, class, P)."""
    columns = max(1, min(columns, len(shown)))
    rows = max(1, -(-len(shown) // columns))
    fig = _figure(2.4 * columns, 2.7 * rows)
    for k, (image, name, verdict, p) in enumerate(shown):
        ax = fig.add_subplot(rows, columns, k + 1)
        ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{_short(name)}\n{verdict} (P = {p:.2f})", fontsize=8)
        ax.axis("off")
    _save(fig, path)
