"""CrossEntropyLoss: LogSoftmax + negative log-likelihood on logits (N, C) and class indices (N,). The
formula is ``ops.softmax.CrossEntropy``; the checks here are shared with ``F.cross_entropy``."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..ops.softmax import CrossEntropy
from ..validation import check_finite_float, fail
from .losses import Loss

__all__ = ["CrossEntropyLoss", "check_logits_and_targets", "check_settings"]

NAME = "CrossEntropyLoss"  # the name errors give, from the class and from F.cross_entropy


def check_settings(ignore_index: Any, label_smoothing: Any) -> tuple[int, float]:
    """(ignore_index, label_smoothing) as an int and a float in [0, 1], or a clear error."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise fail(NAME, "ignore_index", "be an integer", ignore_index, error=TypeError)
    smoothing = check_finite_float(NAME, "label_smoothing", label_smoothing, minimum=0.0, maximum=1.0)
    return int(ignore_index), smoothing


def check_logits_and_targets(pred: Any, target: Any, ignore_index: int) -> tuple[np.ndarray, np.ndarray]:
    """(logits, targets) as arrays: floating-point logits (N, C), integer targets (N,) in [0, C) or
    ``ignore_index``; or a clear error saying how to fix them."""
    z = np.asarray(pred)
    if z.dtype.kind != "f":
        raise fail(
            NAME, "predictions (logits)", "be a floating-point array", f"dtype {z.dtype}", error=TypeError
        )
    if z.ndim != 2 or z.size == 0:
        raise fail(NAME, "predictions (logits)", "have shape (batch, classes), non-empty", f"shape {z.shape}")
    t = np.asarray(target)
    if t.dtype.kind not in "iu":
        fix = "convert with y.astype(np.int64)" + (
            " (class indices, not one-hot or probabilities)" if t.dtype.kind == "f" else ""
        )
        raise fail(NAME, "targets", "be integer class indices", f"dtype {t.dtype}", fix, TypeError)
    n, c = z.shape
    if t.shape != (n,):
        fix = "flatten them with y.reshape(-1)" if t.size == n else ""
        raise fail(NAME, "targets", f"have shape ({n},) to match logits {z.shape}", f"shape {t.shape}", fix)
    bad = ((t < 0) | (t >= c)) & (t != ignore_index)
    if np.any(bad):
        rule = f"be class indices in [0, {c - 1}] (or ignore_index {ignore_index})"
        raise fail(NAME, "targets", rule, int(t[bad][0]))
    return z, t


class CrossEntropyLoss(Loss):
    """Cross-entropy on logits, as ``torch.nn.CrossEntropyLoss``.

    ``pred``: logits (N, C), any real values (log-softmax is computed stably, finite at ±1000);
    ``target``: integer class indices (N,) in [0, C), or ``ignore_index`` for samples that do not count.
    The loss is -log softmax(pred)[i, target[i]], averaged over the samples that count ("mean", the
    default; NaN if none counts, as PyTorch) or summed ("sum"). With ``label_smoothing`` = s the
    target is the distribution (1 - s) one_hot + s / C. ``backward()`` returns dL/dpred =
    (softmax(pred) - target distribution) / N_counted, zero on ignored rows.

    Per-sample losses (PyTorch's reduction="none") come from ``F.cross_entropy(..., reduction="none")``:
    a loss object's value is one number. Not supported (PyTorch has them): class weights, probability
    targets, extra spatial dimensions (N, C, d1, ...).
    """

    function = CrossEntropy

    def __init__(
        self, reduction: str = "mean", ignore_index: int = -100, label_smoothing: float = 0.0
    ) -> None:
        if reduction == "none":
            fix = "for per-sample losses use F.cross_entropy(logits, target, reduction='none')"
            raise fail(NAME, "reduction", "be 'mean' or 'sum'", reduction, fix)
        super().__init__(reduction)
        self.ignore_index, self.label_smoothing = check_settings(ignore_index, label_smoothing)

    def checked(self, pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        z, t = check_logits_and_targets(pred, target, self.ignore_index)
        settings = {
            "reduction": self.reduction,
            "ignore_index": self.ignore_index,
            "label_smoothing": self.label_smoothing,
        }
        return z, t, settings

    # -- what fit() asks a classifier's loss -------------------------------------------------------
    def classify(self, pred: np.ndarray) -> np.ndarray:
        """The predicted class of each row: argmax of the logits, shape (N,)."""
        return np.argmax(np.asarray(pred), axis=1)

    def are_class_labels(self, target: np.ndarray) -> bool:
        """True for integer class indices (N,) that are >= 0 (or the ignore_index)."""
        t = np.asarray(target)
        return t.dtype.kind in "iu" and t.ndim == 1 and bool(np.all((t >= 0) | (t == self.ignore_index)))

    def baseline(self, target: np.ndarray) -> float | None:
        """The entropy of the class frequencies, -sum_c f_c log f_c: the loss of predicting them for
        every sample (the best constant prediction without label smoothing)."""
        t = np.asarray(target)
        if not self.are_class_labels(t):
            return None
        t = t[t != self.ignore_index]
        if t.size == 0:
            return None
        f = np.bincount(t) / t.size
        f = f[f > 0]
        return float(-np.sum(f * np.log(f)))

    def __repr__(self) -> str:
        return "CrossEntropyLoss()"
