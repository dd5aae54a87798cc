"""CrossEntropyLoss: LogSoftmax + negative log-likelihood on logits (N, C) and class indices (N,)."""

from __future__ import annotations

import numbers

import numpy as np

from ..numerics import log_softmax
from ..validation import check_finite_float, fail
from .losses import Loss

__all__ = ["CrossEntropyLoss"]


class CrossEntropyLoss(Loss):
    """Cross-entropy on logits, as ``torch.nn.CrossEntropyLoss``.

    ``pred``: logits (N, C), any real values (log-softmax is computed stably, finite at ±1000);
    ``target``: integer class indices (N,) in [0, C), or ``ignore_index`` for samples that do not count.
    The loss is -log softmax(pred)[i, target[i]], averaged over the samples that count ("mean", the
    default; NaN if none counts, as PyTorch) or summed ("sum"). With ``label_smoothing`` = s the
    target is the distribution (1 - s) one_hot + s / C. ``backward()`` returns dL/dpred =
    (softmax(pred) - target distribution) / N_counted, zero on ignored rows.

    Not supported (PyTorch has them): class weights, reduction="none", probability targets,
    extra spatial dimensions (N, C, d1, ...).
    """

    def __init__(
        self, reduction: str = "mean", ignore_index: int = -100, label_smoothing: float = 0.0
    ) -> None:
        super().__init__(reduction)
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
            raise fail("CrossEntropyLoss", "ignore_index", "be an integer", ignore_index, error=TypeError)
        self.ignore_index: int = int(ignore_index)
        self.label_smoothing: float = check_finite_float(
            "CrossEntropyLoss", "label_smoothing", label_smoothing, minimum=0.0, maximum=1.0
        )

    def _check_targets(self, pred: object, target: object) -> tuple[np.ndarray, np.ndarray]:
        name = "CrossEntropyLoss"
        z = np.asarray(pred)
        if z.dtype.kind != "f":
            raise fail(
                name, "predictions (logits)", "be a floating-point array", f"dtype {z.dtype}", error=TypeError
            )
        if z.ndim != 2 or z.size == 0:
            raise fail(
                name, "predictions (logits)", "have shape (batch, classes), non-empty", f"shape {z.shape}"
            )
        t = np.asarray(target)
        if t.dtype.kind not in "iu":
            fix = "convert with y.astype(np.int64)" + (
                " (class indices, not one-hot or probabilities)" if t.dtype.kind == "f" else ""
            )
            raise fail(name, "targets", "be integer class indices", f"dtype {t.dtype}", fix, TypeError)
        n, c = z.shape
        if t.shape != (n,):
            fix = "flatten them with y.reshape(-1)" if t.size == n else ""
            raise fail(
                name, "targets", f"have shape ({n},) to match logits {z.shape}", f"shape {t.shape}", fix
            )
        bad = ((t < 0) | (t >= c)) & (t != self.ignore_index)
        if np.any(bad):
            raise fail(
                name,
                "targets",
                f"be class indices in [0, {c - 1}] (or ignore_index {self.ignore_index})",
                int(t[bad][0]),
            )
        return z, t

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        z, t = self._check_targets(pred, target)
        c = z.shape[1]
        keep = t != self.ignore_index
        rows = np.flatnonzero(keep)
        logp = log_softmax(z, axis=1)
        s = self.label_smoothing
        # -log p of the true class, for the rows that count
        nll = -np.sum(logp[rows, t[rows]], dtype=np.float64)
        if s:
            smooth = -np.sum(logp[rows], dtype=np.float64) / c  # -mean over classes of log p, summed
            nll = (1 - s) * nll + s * smooth
        counted = len(rows)
        self._cache = (z, t, logp, rows)
        if self.reduction == "sum":
            return float(nll)
        return float(nll / counted) if counted else float("nan")

    def backward(self) -> np.ndarray:
        """dL/dlogits = (softmax - (1 - s) one_hot - s / C) / N_counted on counted rows, 0 elsewhere."""
        z, t, logp, rows = self._cached()
        n, c = z.shape
        grad = np.exp(logp)  # softmax, in the logits' dtype
        s = self.label_smoothing
        if s:
            grad -= z.dtype.type(s / c)
        grad[rows, t[rows]] -= z.dtype.type(1 - s)
        if len(rows) < n:
            grad[t == self.ignore_index] = 0
        if self.reduction == "mean" and len(rows):
            grad *= z.dtype.type(1.0 / len(rows))
        return grad

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
