"""Metrics for classifiers, as plain functions: binary (the default) and multi-class.

Binary: every function takes ``y_true`` of shape (m,) or (m, 1) holding 0/1 labels and ``y_pred_or_prob`` of
the same length: either hard 0/1 predictions or probabilities. Predictions are ``prob > threshold``
(the course's rule), so hard 0/1 predictions pass through unchanged with the default threshold 0.5.

When a ratio has a zero denominator (precision with no positive prediction, recall with no positive
label, F1 when precision + recall is 0) the result is 0.0, as scikit-learn's ``zero_division=0``.

Multi-class: when ``y_pred`` holds scores (m, C) with C >= 2 (logits or probabilities; the
prediction is their argmax) or ``num_classes=C`` is given (then ``y_pred`` may also be class indices
(m,)), labels are integers in [0, C): ``confusion_matrix`` is C x C, ``precision``/``recall``/
``f1_score`` return one value per class (``average=None``) or their "macro" / "weighted" (by
support) mean, and ``classification_report`` gathers them.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .validation import check_int, fail

__all__ = ["accuracy", "classification_report", "confusion_matrix", "f1_score", "precision", "recall"]


def _labels_and_predictions(
    y_true: np.ndarray, y_pred_or_prob: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Flatten both arrays to (m,) and return (true labels, predicted labels) as bool arrays."""
    t = np.asarray(y_true)
    p = np.asarray(y_pred_or_prob)
    who = "metrics"
    for name, a in (("y_true", t), ("y_pred_or_prob", p)):
        if not (a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1)):
            raise fail(who, name, "have shape (m,) or (m, 1)", a.shape)
    t = t.reshape(-1)
    p = p.reshape(-1)
    if t.shape[0] != p.shape[0]:
        got = f"{t.shape[0]} and {p.shape[0]}"
        raise fail(who, "y_true and y_pred_or_prob", "have the same number of samples", got)
    if t.shape[0] == 0:
        raise fail(who, "y_true", "hold at least one sample", "0")
    other = np.unique(t[(t != 0) & (t != 1)])
    if other.size:
        raise fail(who, "y_true", "hold only 0/1 labels", f"also {other[:5].tolist()}")
    nan = int(np.count_nonzero(np.isnan(p.astype(np.float64))))
    if nan:
        raise fail(who, "y_pred_or_prob", "hold no NaN", f"{nan} NaN of {p.shape[0]} values")
    return t == 1, p > threshold


def confusion_matrix(
    y_true: np.ndarray, y_pred_or_prob: np.ndarray, threshold: float = 0.5, *, num_classes: int | None = None
) -> np.ndarray:
    """Binary: the 2x2 int64 matrix [[TN, FP], [FN, TP]]. Multi-class: the C x C int64 matrix whose
    entry [i, j] counts the samples of true class i predicted as j. Rows are the true class, columns
    the predicted one, as ``sklearn.metrics.confusion_matrix``.
    """
    if _is_multiclass(y_pred_or_prob, num_classes):
        t, p, c = _classes(y_true, y_pred_or_prob, num_classes)
        return np.bincount(t * c + p, minlength=c * c).reshape(c, c).astype(np.int64)
    t, p = _labels_and_predictions(y_true, y_pred_or_prob, threshold)
    tn = np.count_nonzero(~t & ~p)
    fp = np.count_nonzero(~t & p)
    fn = np.count_nonzero(t & ~p)
    tp = np.count_nonzero(t & p)
    return np.array([[tn, fp], [fn, tp]], dtype=np.int64)


def accuracy(
    y_true: np.ndarray, y_pred_or_prob: np.ndarray, threshold: float = 0.5, *, num_classes: int | None = None
) -> float:
    """Fraction of samples whose predicted label equals the true label, in [0, 1] (multi-class:
    ``y_pred_or_prob`` as scores (m, C), or class indices with ``num_classes``)."""
    if _is_multiclass(y_pred_or_prob, num_classes):
        t, p, _ = _classes(y_true, y_pred_or_prob, num_classes)
        return float(np.mean(t == p))
    t, p = _labels_and_predictions(y_true, y_pred_or_prob, threshold)
    return float(np.mean(t == p))


def precision(
    y_true: np.ndarray,
    y_pred_or_prob: np.ndarray,
    threshold: float = 0.5,
    *,
    num_classes: int | None = None,
    average: str | None = None,
) -> Any:
    """TP / (TP + FP): of the samples predicted positive, the fraction that are positive.
    Multi-class: one value per class, that class against the rest (see ``_per_class``)."""
    if _is_multiclass(y_pred_or_prob, num_classes):
        return _per_class("precision", y_true, y_pred_or_prob, num_classes, average)
    _binary_average("precision", average)
    (_, fp), (_, tp) = confusion_matrix(y_true, y_pred_or_prob, threshold)
    return float(tp / (tp + fp)) if tp + fp > 0 else 0.0


def recall(
    y_true: np.ndarray,
    y_pred_or_prob: np.ndarray,
    threshold: float = 0.5,
    *,
    num_classes: int | None = None,
    average: str | None = None,
) -> Any:
    """TP / (TP + FN): of the positive samples, the fraction predicted positive.
    Multi-class: one value per class, that class against the rest (see ``_per_class``)."""
    if _is_multiclass(y_pred_or_prob, num_classes):
        return _per_class("recall", y_true, y_pred_or_prob, num_classes, average)
    _binary_average("recall", average)
    _, (fn, tp) = confusion_matrix(y_true, y_pred_or_prob, threshold)
    return float(tp / (tp + fn)) if tp + fn > 0 else 0.0


def f1_score(
    y_true: np.ndarray,
    y_pred_or_prob: np.ndarray,
    threshold: float = 0.5,
    *,
    num_classes: int | None = None,
    average: str | None = None,
) -> Any:
    """Harmonic mean of precision and recall: 2 TP / (2 TP + FP + FN).
    Multi-class: one value per class, that class against the rest (see ``_per_class``)."""
    if _is_multiclass(y_pred_or_prob, num_classes):
        return _per_class("f1_score", y_true, y_pred_or_prob, num_classes, average)
    _binary_average("f1_score", average)
    (_, fp), (fn, tp) = confusion_matrix(y_true, y_pred_or_prob, threshold)
    denom = 2 * tp + fp + fn
    return float(2 * tp / denom) if denom > 0 else 0.0


# -- multi-class -----------------------------------------------------------------------------------


def _is_multiclass(y_pred: Any, num_classes: int | None) -> bool:
    p = np.asarray(y_pred)
    return num_classes is not None or (p.ndim == 2 and p.shape[1] >= 2)


def _classes(y_true: Any, y_pred: Any, num_classes: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    """(true classes (m,), predicted classes (m,), C), checked; scores (m, C) become their argmax."""
    who = "metrics"
    t, p = np.asarray(y_true), np.asarray(y_pred)
    c = None if num_classes is None else check_int(who, "num_classes", num_classes, minimum=2)
    if p.ndim == 2 and p.shape[1] >= 2:
        if p.dtype.kind not in "biuf":
            raise fail(who, "y_pred (scores)", "hold real numbers", f"dtype {p.dtype}", error=TypeError)
        if c is not None and c != p.shape[1]:
            raise fail(who, "num_classes", f"equal the {p.shape[1]} score columns of y_pred", c)
        c, p = p.shape[1], np.argmax(p, axis=1)
    for what, a in (("y_true", t), ("y_pred", p)):
        if not (a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1)):
            raise fail(
                who, what, "have shape (m,) or (m, 1) (class indices) or y_pred (m, C) scores", a.shape
            )
        if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and np.all(a == np.round(a))):
            raise fail(who, what, "hold integer class indices", f"dtype {a.dtype}", error=TypeError)
    t, p = t.reshape(-1).astype(np.int64), p.reshape(-1).astype(np.int64)
    if len(t) != len(p):
        raise fail(who, "y_true and y_pred", "have the same number of samples", f"{len(t)} and {len(p)}")
    if len(t) == 0:
        raise fail(who, "y_true", "hold at least one sample", "0")
    assert c is not None  # _is_multiclass: scores or num_classes
    for what, a in (("y_true", t), ("y_pred", p)):
        if a.min() < 0 or a.max() >= c:
            bad = a[(a < 0) | (a >= c)][0]
            raise fail(who, what, f"hold class indices in [0, {c - 1}]", int(bad))
    return t, p, c


def _binary_average(name: str, average: str | None) -> None:
    if average is not None:
        raise fail(
            name, "average", "be None for binary labels", average, "pass num_classes=2 for per-class values"
        )


def _per_class(name: str, y_true: Any, y_pred: Any, num_classes: int | None, average: str | None) -> Any:
    """One value per class c, counting c as the positive class and every other as negative:
    precision_c = cm[c, c] / cm[:, c].sum(), recall_c = cm[c, c] / cm[c, :].sum(),
    f1_c = 2 cm[c, c] / (cm[:, c].sum() + cm[c, :].sum()) (0 where a denominator is 0). ``average``:
    None (the array), "macro" (plain mean) or "weighted" (mean weighted by each class's support)."""
    if average not in (None, "macro", "weighted"):
        raise fail(name, "average", "be None, 'macro' or 'weighted'", average)
    cm = confusion_matrix(y_true, y_pred, num_classes=num_classes or np.asarray(y_pred).shape[1])
    tp = np.diag(cm).astype(np.float64)
    denom = {"precision": cm.sum(axis=0), "recall": cm.sum(axis=1), "f1_score": (cm.sum(0) + cm.sum(1)) / 2}
    d = denom[name].astype(np.float64)
    values = np.divide(tp, d, out=np.zeros_like(tp), where=d > 0)
    if average is None:
        return values
    support = cm.sum(axis=1)
    return float(values.mean() if average == "macro" else np.sum(values * support) / support.sum())


def classification_report(
    y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None
) -> dict[str, Any]:
    """Per-class ``precision``, ``recall``, ``f1`` and ``support`` (arrays of length C), and the
    overall ``accuracy`` and ``macro_f1``. ``y_pred``: scores (m, C), or class indices (m,) (then C is
    ``num_classes``, by default the largest label seen + 1)."""
    if not _is_multiclass(y_pred, num_classes):
        both = np.concatenate([np.ravel(y_true), np.ravel(y_pred)])
        if both.dtype.kind not in "iuf" or both.size == 0 or not isinstance(both.max(), numbers.Real):
            raise fail("classification_report", "y_true and y_pred", "hold class indices", both.dtype)
        num_classes = max(int(both.max()) + 1, 2)
    kw: dict[str, Any] = {"num_classes": num_classes}
    f1 = f1_score(y_true, y_pred, **kw)
    return {
        "precision": precision(y_true, y_pred, **kw),
        "recall": recall(y_true, y_pred, **kw),
        "f1": f1,
        "support": confusion_matrix(y_true, y_pred, **kw).sum(axis=1),
        "accuracy": accuracy(y_true, y_pred, **kw),
        "macro_f1": float(np.mean(f1)),
    }
