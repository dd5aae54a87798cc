"""The cat CLI's score table: tinygrad_np.metrics gathered into one dict per split."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_np import metrics


def binary_report(y_true: np.ndarray, prob: np.ndarray, threshold: float = 0.5) -> dict[str, Any]:
    """{"accuracy", "precision", "recall", "f1", "correct", "total", "confusion_matrix"} for
    P(cat) ``prob`` (m, 1) against labels (m, 1); prediction = prob > threshold (the course's rule)."""
    cm = metrics.confusion_matrix(y_true, prob, threshold)
    (tn, _fp), (_fn, tp) = cm.tolist()
    return {
        "accuracy": metrics.accuracy(y_true, prob, threshold),
        "precision": metrics.precision(y_true, prob, threshold),
        "recall": metrics.recall(y_true, prob, threshold),
        "f1": metrics.f1_score(y_true, prob, threshold),
        "correct": tn + tp,
        "total": int(cm.sum()),
        "confusion_matrix": cm.tolist(),
    }
