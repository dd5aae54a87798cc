"""The Fashion-MNIST score table: accuracy, the C×C confusion matrix and per-class precision / recall / F1."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """(C, C) int64 counts: row = true class, column = predicted class."""
    t, p = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    return np.bincount(t * n_classes + p, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def multiclass_report(y_true: np.ndarray, logits: np.ndarray, classes: Sequence[str]) -> dict[str, Any]:
    """{"accuracy", "correct", "total", "confusion_matrix", "per_class": {name: {precision, recall,
    f1, support}}} for logits (N, C) against class indices (N,); prediction = argmax."""
    pred = np.argmax(logits, axis=1)
    cm = confusion(y_true, pred, len(classes))
    tp = np.diag(cm).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(cm.sum(0) > 0, tp / cm.sum(0), 0.0)
        recall = np.where(cm.sum(1) > 0, tp / cm.sum(1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    correct, total = int(tp.sum()), int(cm.sum())
    return {
        "accuracy": correct / total if total else 0.0,
        "correct": correct,
        "total": total,
        "confusion_matrix": cm.tolist(),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(cm[i].sum()),
            }
            for i, name in enumerate(classes)
        },
    }


def format_report(r: dict[str, Any]) -> str:
    """The per-class table as text."""
    lines = [f"{'class':14}{'precision':>10}{'recall':>8}{'F1':>8}{'support':>9}"]
    for name, s in r["per_class"].items():
        lines.append(f"{name:14}{s['precision']:>10.4f}{s['recall']:>8.4f}{s['f1']:>8.4f}{s['support']:>9}")
    return "\n".join(lines)
