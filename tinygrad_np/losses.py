"""Losses: BCELoss (on probabilities), BCEWithLogitsLoss (on logits), MSELoss.

``loss(pred, target)`` returns the loss as a Python float and caches what ``loss.backward()`` needs;
``backward()`` returns dloss/dpred, shaped like ``pred``. Targets may be (batch,) or (batch, 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .activations import stable_sigmoid

_EPS = 1e-12  # as PyTorch's BCELoss: the smallest p (1 - p) that backward divides by
_LOG_FLOOR = -100.0  # as PyTorch's BCELoss: log(0) counts as -100, so the loss stays finite


class _FusableGrad(np.ndarray):
    """dL/dp that also carries dL/dz for the Sigmoid whose output is p (see Sigmoid.backward).

    ``logit_grad_for = (p, dL/dz)``. Any array derived from this one (a slice, a product) carries
    nothing, so the shortcut is taken only for the exact array that BCELoss returned.
    """

    logit_grad_for: tuple[np.ndarray, np.ndarray] | None

    def __array_finalize__(self, obj: Any) -> None:
        self.logit_grad_for = None


class Loss:
    """Base class: ``__call__(pred, target) -> float`` and ``backward() -> dloss/dpred``."""

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in ("mean", "sum"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean' or 'sum', got {reduction!r}")
        self.reduction = reduction
        self._cache: Any = None

    def __call__(self, pred: np.ndarray, target: np.ndarray) -> float:
        return self.forward(pred, target)

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

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
        if not np.issubdtype(pred.dtype, np.floating):
            raise TypeError(f"{name}: predictions must be floating point, got dtype {pred.dtype}")
        if pred.ndim == 0 or pred.size == 0:
            raise ValueError(f"{name}: predictions must be a non-empty batch, got shape {pred.shape}")
        target = np.asarray(target)
        if target.dtype == object or not (np.issubdtype(target.dtype, np.number) or target.dtype == np.bool_):
            raise TypeError(f"{name}: targets must be numbers, got dtype {target.dtype}")
        batch = pred.shape[0]
        ok = target.shape == pred.shape or (
            target.ndim >= 1 and target.shape[0] == batch and target.size == pred.size
        )
        if not ok:
            expected = (batch,) if pred.ndim == 2 and pred.shape[1] == 1 else pred.shape
            extra = f" or {(batch, 1)}" if expected == (batch,) else ""
            raise ValueError(
                f"{name}: target of shape {target.shape} does not match predictions of shape "
                f"{pred.shape}: expected {expected}{extra}"
            )
        return pred, target.reshape(pred.shape).astype(pred.dtype, copy=False)

    @staticmethod
    def _check_01(name: str, what: str, a: np.ndarray, allow_nan: bool = False) -> None:
        bad = (a < 0) | (a > 1) if allow_nan else ~((a >= 0) & (a <= 1))
        if np.any(bad):
            v = a[bad].flat[0]
            raise ValueError(f"{name}: {what} must lie in [0, 1], found {v!r}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BCELoss(Loss):
    """Binary cross-entropy on probabilities p in [0, 1]:
    -mean(y log p + (1 - y) log(1 - p)), with log 0 taken as -100 (finite at p = 0 or 1)."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        p, y = self._check(pred, target)
        self._check_01("BCELoss", "targets", y)
        self._check_01("BCELoss", "predictions (probabilities)", p, allow_nan=True)
        with np.errstate(divide="ignore"):  # log(0) = -inf, floored to -100 just below
            log_p = np.maximum(np.log(p), _LOG_FLOOR)
            log_1mp = np.maximum(np.log1p(-p), _LOG_FLOOR)
        # y log p + (1 - y) log(1 - p), written as log(1-p) + y (log p - log(1-p)): one product fewer.
        log_p -= log_1mp
        log_p *= y
        log_p += log_1mp
        self._cache = (pred, p, y)
        return float(-np.sum(log_p) * self._scale(p.size))

    def backward(self) -> np.ndarray:
        pred, p, y = self._cached()
        s = self._scale(p.size)
        diff = p - y
        dz = diff * s  # dL/dz for z the logit of p: what a Sigmoid before this loss needs
        dp = diff / np.maximum(p * (1 - p), _EPS)
        dp *= s
        out = dp.view(_FusableGrad)
        out.logit_grad_for = (pred, dz)
        return out


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits z: the same as Sigmoid + BCELoss, computed stably as
    mean(max(z, 0) - z y + log(1 + exp(-|z|)))."""

    def forward(self, pred: np.ndarray, target: np.ndarray) -> float:
        z, y = self._check(pred, target)
        self._check_01("BCEWithLogitsLoss", "targets", y)
        loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
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

    def backward(self) -> np.ndarray:
        diff = self._cached()
        return 2 * diff * diff.dtype.type(self._scale(diff.size))
