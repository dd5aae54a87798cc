"""Losses: BCELoss (on probabilities), BCEWithLogitsLoss (on logits), MSELoss.

``loss(pred, target)`` returns the loss as a Python float and caches what ``loss.backward()`` needs;
``backward()`` returns dloss/dpred, shaped like ``pred``. Targets may be (batch,) or (batch, 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..validation import fail
from .loss_nodes import loss_node
from .numerics import softplus_neg_abs, stable_sigmoid

_EPS = 1e-12  # as PyTorch's BCELoss: the smallest p (1 - p) that backward divides by
_LOG_FLOOR = -100.0  # as PyTorch's BCELoss: log(0) counts as -100, so the loss stays finite
_P_MIN = float(np.exp(_LOG_FLOOR))  # above it log p > -100: the floor changes nothing


class Loss:
    """Base class: ``__call__(pred, target) -> float`` and ``backward() -> dloss/dpred``.

    With a Tensor ``pred``, ``__call__`` returns a 0-d Tensor recorded as a graph node (loss_nodes.py).
    """

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in ("mean", "sum"):
            raise fail(type(self).__name__, "reduction", "be 'mean' or 'sum'", reduction)
        self.reduction = reduction
        self._cache: Any = None

    def __call__(self, pred: Any, target: Any) -> Any:
        if isinstance(pred, Tensor):
            return loss_node(self, pred, target)
        return self.forward(pred, target)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def classify(self, pred: np.ndarray) -> np.ndarray | None:
        """The class each prediction stands for (fit() and metrics count accuracy with it), or None
        for a loss that is not a classifier's (MSELoss)."""
        return None

    def are_class_labels(self, target: np.ndarray) -> bool:
        """True if ``target`` holds classes ``classify`` can be compared with."""
        return False

    def baseline(self, target: np.ndarray) -> float | None:
        """The loss of the best constant prediction for ``target`` ("chance level"), or None if unknown."""
        return None

    def computed_on(self, pred: Any) -> bool:
        """True if the last forward of this loss took exactly the array ``pred`` as predictions."""
        return self._cache is not None and pred is not None and self._cache[0] is pred

    def _scale(self, n: int) -> float:
        return 1.0 / n if self.reduction == "mean" else 1.0

    def _cached(self) -> Any:
        if self._cache is None:
            raise RuntimeError(f"{self!r}.backward() called before the loss was computed")
        return self._cache

    def _check(self, pred: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
        """Return (pred, target) with target reshaped to pred's shape and cast to its dtype."""
        name = type(self).__name__
        pred = np.asarray(pred)
        # dtype.kind tests instead of np.issubdtype, which costs microseconds on every call.
        if pred.dtype.kind != "f":
            raise fail(
                name, "predictions", "be a floating-point array", f"dtype {pred.dtype}", error=TypeError
            )
        if pred.ndim == 0 or pred.size == 0:
            raise fail(name, "predictions", "be a non-empty batch", f"shape {pred.shape}")
        target = np.asarray(target)
        if target.dtype.kind not in "biuf":  # bool, signed, unsigned, float: real numbers
            raise fail(name, "targets", "hold real numbers", f"dtype {target.dtype}", error=TypeError)
        batch = pred.shape[0]
        ok = target.shape == pred.shape or (
            target.ndim >= 1 and target.shape[0] == batch and target.size == pred.size
        )
        if not ok:
            expected = (batch,) if pred.ndim == 2 and pred.shape[1] == 1 else pred.shape
            extra = f" or {(batch, 1)}" if expected == (batch,) else ""
            raise fail(
                name,
                "targets",
                f"have shape {expected}{extra} to match predictions {pred.shape}",
                f"shape {target.shape}",
            )
        return pred, target.reshape(pred.shape).astype(pred.dtype, copy=False)

    @staticmethod
    def _check_01(name: str, what: str, a: np.ndarray, allow_nan: bool = False) -> tuple[float, float]:
        """Raise a ValueError if a value of ``a`` is outside [0, 1] (or NaN, unless ``allow_nan``);
        return ``(min, max)`` of ``a`` (ignoring NaN when ``allow_nan``)."""
        # Fast path, two reductions and no mask arrays: fmin/fmax skip NaN (allowed in predictions);
        # min/max propagate it, and then `lo >= 0` is False (NaN is not allowed in targets).
        if allow_nan:
            lo, hi = np.fmin.reduce(a, axis=None), np.fmax.reduce(a, axis=None)
            if not (lo < 0 or hi > 1):
                return lo, hi
        else:
            lo, hi = np.minimum.reduce(a, axis=None), np.maximum.reduce(a, axis=None)
            if lo >= 0 and hi <= 1:
                return lo, hi
        bad = (a < 0) | (a > 1) if allow_nan else ~((a >= 0) & (a <= 1))
        if np.any(bad):
            v = a[bad].flat[0]
            raise fail(name, what, "lie in [0, 1]", float(v))
        return lo, hi

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _Binary(Loss):
    """Binary classifiers: a prediction above ``threshold`` means class 1; labels are 0/1."""

    threshold = 0.5

    def classify(self, pred: np.ndarray) -> np.ndarray:
        return (np.asarray(pred) > self.threshold).reshape(len(pred), -1)

    def are_class_labels(self, target: np.ndarray) -> bool:
        t = np.asarray(target)
        return bool(np.all((t == 0) | (t == 1)))

    def baseline(self, target: np.ndarray) -> float | None:
        """The binary entropy of the mean label: the loss of predicting the class frequency."""
        q = float(np.clip(np.mean(target), 1e-12, 1 - 1e-12))
        return -(q * np.log(q) + (1 - q) * np.log(1 - q))


class BCELoss(_Binary):
    """Binary cross-entropy on probabilities p in [0, 1]:
    -mean(y log p + (1 - y) log(1 - p)), with log 0 taken as -100 (finite at p = 0 or 1)."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        p, y = self._check(pred, target)
        self._check_01("BCELoss", "targets", y)
        lo, hi = self._check_01("BCELoss", "predictions (probabilities)", p, allow_nan=True)
        if lo > _P_MIN and hi < 1:
            # The usual case: no log is -inf or below -100, so neither np.errstate nor the floors are
            # needed (on a small batch, they cost more than the logs themselves).
            log_p, log_1mp = np.log(p), np.log1p(-p)
        else:
            with np.errstate(divide="ignore"):  # log(0) = -inf, floored to -100 just below
                log_p = np.maximum(np.log(p), _LOG_FLOOR)
                log_1mp = np.maximum(np.log1p(-p), _LOG_FLOOR)
        # y log p + (1 - y) log(1 - p), written as log(1-p) + y (log p - log(1-p)): one product fewer.
        log_p -= log_1mp
        log_p *= y
        log_p += log_1mp
        self._cache = (p, y)
        return float(-np.add.reduce(log_p, axis=None) * self._scale(p.size))

    def backward(self) -> np.ndarray:
        """dL/dp = (p - y) / (p (1 - p)) / N, the denominator clamped at 1e-12 as in PyTorch."""
        p, y = self._cached()
        dp = p - y
        dp /= np.maximum(p * (1 - p), _EPS)
        dp *= self._scale(p.size)
        return dp

    def logit_grad(self) -> np.ndarray:
        """dL/dz for z the logit of p (p = sigmoid(z)): (p - y) / N. A Sigmoid followed by this loss
        can hand this straight to the layer before the Sigmoid (see ``Sequential.backward_from``):
        the same value as ``Sigmoid.backward(self.backward())`` without dividing by p (1 - p) and
        multiplying back, so also exact where p (1 - p) is below the clamp."""
        p, y = self._cached()
        return (p - y) * p.dtype.type(self._scale(p.size))


class BCEWithLogitsLoss(_Binary):
    """Binary cross-entropy on logits z: the same as Sigmoid + BCELoss, computed stably as
    mean(max(z, 0) - z y + log(1 + exp(-|z|)))."""

    threshold = 0.0  # a logit above 0 is a probability above 0.5

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        z, y = self._check(pred, target)
        self._check_01("BCEWithLogitsLoss", "targets", y)
        loss = np.maximum(z, 0) - z * y + softplus_neg_abs(z)
        self._cache = (z, y)
        return float(np.sum(loss) * self._scale(z.size))

    def backward(self) -> np.ndarray:
        z, y = self._cached()
        return (stable_sigmoid(z) - y) * self._scale(z.size)


class MSELoss(Loss):
    """Mean squared error: mean((pred - target) ** 2)."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        p, y = self._check(pred, target)
        diff = p - y
        self._cache = diff
        return float(np.sum(diff * diff) * self._scale(p.size))

    def baseline(self, target: np.ndarray) -> float | None:
        """The variance of the targets: the loss of predicting their mean."""
        return float(np.var(np.asarray(target, dtype=np.float64)))

    def backward(self) -> np.ndarray:
        diff = self._cached()
        return 2 * diff * diff.dtype.type(self._scale(diff.size))
