"""What a Fashion-MNIST training run writes besides the weights: scores and pictures."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_np as tnp

from .model import predict_logits


def score(model: tnp.Sequential, splits: list, classes: Sequence[str]) -> dict[str, Any]:
    """The multi-class report of every non-empty split, printing the accuracies."""
    from .report import multiclass_report

    results = {}
    for split, x, y in splits:
        if len(y):
            r = results[split] = multiclass_report(y, predict_logits(model, x), classes)
            print(f"{split.capitalize()} accuracy: {r['accuracy']:.4f} ({r['correct']}/{r['total']})")
    return results


def pictures(
    args: argparse.Namespace,
    model: tnp.Sequential,
    history: Any,
    results: dict[str, Any],
    arrays: dict[str, tuple[np.ndarray, np.ndarray]],
    classes: Sequence[str],
    out: Path,
) -> list[str]:
    """curves.png, and the confusion matrix and predictions of the test (--test) or validation split."""
    from .plots import save_confusion, save_curves, save_predictions

    title = f"{args.model}, {args.optimizer} lr {args.lr}, seed {args.seed}"
    curves = {k: history[k] for k in ("loss", "accuracy", "val_loss", "val_accuracy") if k in history.keys()}
    save_curves(curves, out / "curves.png", title=title)
    pictures = ["weights.npz", "curves.png"]
    shown = "test" if args.test else "validation"
    if shown in results:
        x_show, y_show = arrays[shown]
        accuracy = results[shown]["accuracy"]
        save_confusion(np.array(results[shown]["confusion_matrix"]), classes, out / "confusion.png",
                       title=f"{shown} confusion matrix, accuracy {accuracy:.4f}")  # fmt: skip
        pred = np.argmax(predict_logits(model, x_show[:32]), axis=1)
        save_predictions(x_show, y_show, pred, classes, out / "predictions.png", split=shown)
        pictures += ["confusion.png", "predictions.png"]
    return pictures
