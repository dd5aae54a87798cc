"""Binary-classifier scores for the cat CLI: accuracy, precision, recall, F1, confusion matrix.

Kept here (a few lines) so the example does not wait for ``tinygrad_np.metrics``; same conventions:
prediction = prob > 0.5 (the course's rule), confusion matrix [[TN, FP], [FN, TP]], a ratio with a
zero denominator is 0.0.
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, prob: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """(2, 2) int64 [[TN, FP], [FN, TP]]: rows the true class, columns the predicted one."""
    t = np.asarray(y_true).reshape(-1) == 1
    p = np.asarray(prob).reshape(-1) > threshold
    if t.shape != p.shape:
        raise ValueError(f"{t.size} labels but {p.size} predictions")
    return np.array([[np.sum(~t & ~p), np.sum(~t & p)], [np.sum(t & ~p), np.sum(t & p)]], np.int64)


def binary_report(y_true: np.ndarray, prob: np.ndarray, threshold: float = 0.5) -> dict:
    """{"accuracy", "precision", "recall", "f1", "correct", "total", "confusion_matrix"}."""
    cm = confusion_matrix(y_true, prob, threshold)
    (tn, fp), (fn, tp) = cm.tolist()
    total = tn + fp + fn + tp
    return {
        "accuracy": (tn + tp) / total if total else 0.0,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0,
        "correct": tn + tp,
        "total": total,
        "confusion_matrix": cm.tolist(),
    }
