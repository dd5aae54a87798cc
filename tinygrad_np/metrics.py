"""Metrics for binary classifiers, as plain functions.

Every function takes ``y_true`` of shape (m,) or (m, 1) holding 0/1 labels and ``y_pred_or_prob`` of
the same length: either hard 0/1 predictions or probabilities. Predictions are ``prob > threshold``
(the course's rule), so hard 0/1 predictions pass through unchanged with the default threshold 0.5.

When a ratio has a zero denominator (precision with no positive prediction, recall with no positive
label, F1 when precision + recall is 0) the result is 0.0, as scikit-learn's ``zero_division=0``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "confusion_matrix", "f1_score", "precision", "recall"]


def _labels_and_predictions(
    y_true: np.ndarray, y_pred_or_prob: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Flatten both arrays to (m,) and return (true labels, predicted labels) as bool arrays."""
    t = np.asarray(y_true)
    p = np.asarray(y_pred_or_prob)
    for name, a in (("y_true", t), ("y_pred_or_prob", p)):
        if not (a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1)):
            raise ValueError(f"{name} must have shape (m,) or (m, 1), got {a.shape}")
    t = t.reshape(-1)
    p = p.reshape(-1)
    if t.shape[0] != p.shape[0]:
        raise ValueError(f"y_true has {t.shape[0]} samples but y_pred_or_prob has {p.shape[0]}")
    if t.shape[0] == 0:
        raise ValueError("metrics need at least one sample, got 0")
    if not np.all((t == 0) | (t == 1)):
        raise ValueError("y_true must hold only 0/1 labels")
    if np.any(np.isnan(p.astype(np.float64))):
        raise ValueError("y_pred_or_prob contains NaN")
    return t == 1, p > threshold


def confusion_matrix(y_true: np.ndarray, y_pred_or_prob: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """2x2 int64 matrix [[TN, FP], [FN, TP]]: rows are the true class (0, 1), columns the predicted.

    Same layout as ``sklearn.metrics.confusion_matrix(y_true, y_pred)`` with labels (0, 1).
    """
    t, p = _labels_and_predictions(y_true, y_pred_or_prob, threshold)
    tn = np.count_nonzero(~t & ~p)
    fp = np.count_nonzero(~t & p)
    fn = np.count_nonzero(t & ~p)
    tp = np.count_nonzero(t & p)
    return np.array([[tn, fp], [fn, tp]], dtype=np.int64)


def accuracy(y_true: np.ndarray, y_pred_or_prob: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of samples whose predicted label equals the true label, in [0, 1]."""
    t, p = _labels_and_predictions(y_true, y_pred_or_prob, threshold)
    return float(np.mean(t == p))


def precision(y_true: np.ndarray, y_pred_or_prob: np.ndarray, threshold: float = 0.5) -> float:
    """TP / (TP + FP): of the samples predicted positive, the fraction that are positive."""
    (_, fp), (_, tp) = confusion_matrix(y_true, y_pred_or_prob, threshold)
    return float(tp / (tp + fp)) if tp + fp > 0 else 0.0


def recall(y_true: np.ndarray, y_pred_or_prob: np.ndarray, threshold: float = 0.5) -> float:
    """TP / (TP + FN): of the positive samples, the fraction predicted positive."""
    _, (fn, tp) = confusion_matrix(y_true, y_pred_or_prob, threshold)
    return float(tp / (tp + fn)) if tp + fn > 0 else 0.0


def f1_score(y_true: np.ndarray, y_pred_or_prob: np.ndarray, threshold: float = 0.5) -> float:
    """Harmonic mean of precision and recall: 2 TP / (2 TP + FP + FN)."""
    (_, fp), (fn, tp) = confusion_matrix(y_true, y_pred_or_prob, threshold)
    denom = 2 * tp + fp + fn
    return float(2 * tp / denom) if denom > 0 else 0.0
