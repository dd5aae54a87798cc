"""Losses: BCELoss (on probabilities), BCEWithLogitsLoss (on logits), MSELoss.

``loss(pred, target)`` on ndarrays returns the loss as a Python float and keeps its formula's ctx
(``ops.losses``) as the cache; ``backward()`` returns dloss/dpred, shaped like ``pred``. On a Tensor
``pred`` it returns a 0-d Tensor recorded in the graph. Targets may be (batch,) or (batch, 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..ops import activations as act
from ..ops import losses as fn
from ..validation import fail


class Loss:
    """Base class: ``__call__(pred, target) -> float`` and ``backward() -> dloss/dpred``.

    A subclass names its formula (``function``) and checks its arguments (``checked``: pred, target
    and the formula's settings). With a Tensor ``pred``, ``__call__`` returns a 0-d Tensor recorded in
    the graph.
    """

    function: type[Function]

    def __init__(self, reduction: str = "mean") -> None:
        if reduction not in ("mean", "sum"):
            raise fail(type(self).__name__, "reduction", "be 'mean' or 'sum'", reduction)
        self.reduction = reduction
        self._cache: Any = None

    def checked(self, pred: np.ndarray, target: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """(pred, target as the formula wants it, the formula's keyword settings), or a clear error."""
        p, y = self._check(pred, target)
        return p, y, {"reduction": self.reduction}

    def __call__(self, pred: Any, target: Any) -> Any:
        if isinstance(pred, Tensor):
            return self.graph_call(pred, target)
        return self.forward(pred, target)

    def graph_call(self, pred: Tensor, target: Any) -> Tensor:
        """``loss(Tensor, target)``: the formula recorded in the graph (a 0-d Tensor)."""
        _, y, settings = self.checked(pred.data, target.data if isinstance(target, Tensor) else target)
        return self.function.apply(pred, y, **settings)

    def forward(self, pred: np.ndarray, target: Any) -> float:
        """The loss of ``pred`` against ``target``; keeps the formula's ctx for ``backward``."""
        p, y, settings = self.checked(pred, target)
        self._cache, value = self.function.run(p, y, **settings)
        return float(value)

    def backward(self) -> np.ndarray:
        """dloss/dpred of the last forward, shaped like pred."""
        ctx = self._cached()
        ctx.needs_input_grad = (True, False)
        p = ctx.inputs[0]
        return ctx.gradients(np.ones((), dtype=p.dtype))[0]

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
        return self._cache is not None and pred is not None and self._cache.inputs[0] is pred

    def _cached(self) -> Any:
        if self._cache is None:
            raise RuntimeError(
                f"{self!r}.backward(): the loss must be computed first, got backward() before it"
            )
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
    -mean(y log p + (1 - y) log(1 - p)), with log 0 taken as -100 (finite at p = 0 or 1).
    Formula: ``ops.losses.BCE``."""

    function = fn.BCE

    def checked(self, pred: np.ndarray, target: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        p, y = self._check(pred, target)
        self._check_01("BCELoss", "targets", y)
        self._check_01("BCELoss", "predictions (probabilities)", p, allow_nan=True)
        return p, y, {"reduction": self.reduction}

    def graph_call(self, pred: Tensor, target: Any) -> Tensor:
        """As Loss's, with one rule: when ``pred`` is a Sigmoid's output, the fused formula
        ``SigmoidBCE`` is recorded from the Sigmoid's input z (gradient (p - y)/N, see ops/losses.py)."""
        ctx = pred._ctx
        if isinstance(ctx, act.SigmoidFunction):
            _, y, settings = self.checked(pred.data, target.data if isinstance(target, Tensor) else target)
            return fn.SigmoidBCE.apply(ctx.inputs[0], y, **settings)
        return super().graph_call(pred, target)

    def logit_grad(self) -> np.ndarray:
        """dL/dz for z the logit of p (p = sigmoid(z)): (p - y) / N, the fused formula ``SigmoidBCE``'s
        gradient, from this loss's ctx (which holds what SigmoidBCE's does). A Sigmoid followed by this
        loss hands it straight to the layer before the Sigmoid (``Sequential.backward_from``)."""
        ctx = self._cached()
        p = ctx.inputs[0]
        return fn.SigmoidBCE.backward(ctx, np.ones((), dtype=p.dtype))[0]


class BCEWithLogitsLoss(_Binary):
    """Binary cross-entropy on logits z: the same as Sigmoid + BCELoss, computed stably as
    mean(max(z, 0) - z y + log(1 + exp(-|z|))). Formula: ``ops.losses.BCEWithLogits``."""

    function = fn.BCEWithLogits
    threshold = 0.0  # a logit above 0 is a probability above 0.5

    def checked(self, pred: np.ndarray, target: Any) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        z, y = self._check(pred, target)
        self._check_01("BCEWithLogitsLoss", "targets", y)
        return z, y, {"reduction": self.reduction}


class MSELoss(Loss):
    """Mean squared error: mean((pred - target) ** 2). Formula: ``ops.losses.MSE``."""

    function = fn.MSE

    def baseline(self, target: np.ndarray) -> float | None:
        """The variance of the targets: the loss of predicting their mean."""
        return float(np.var(np.asarray(target, dtype=np.float64)))
