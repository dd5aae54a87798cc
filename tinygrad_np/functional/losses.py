"""The functional losses, ``F.binary_cross_entropy`` ... ``F.cross_entropy``: each checks its targets
with the Loss class's own checks (so errors read as the class's, e.g. "BCELoss: targets must lie in
[0, 1], got 2.0") and records the same formula (``ops.losses``, ``ops.softmax.CrossEntropy``).
Each returns a 0-d Tensor (a Tensor (N,) for ``cross_entropy(..., reduction="none")``)."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..nn import cross_entropy as ce
from ..nn.losses import BCELoss, BCEWithLogitsLoss, MSELoss
from ..ops.softmax import CrossEntropy
from ..validation import fail
from .activations import as_tensor

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "mse_loss"]


def binary_cross_entropy(p: Any, target: Any, reduction: str = "mean") -> Tensor:
    """-mean(y log p + (1 - y) log(1 - p)) on probabilities p, each log floored at -100 (as PyTorch).
    On the output of ``F.sigmoid`` it records the fused formula, as ``BCELoss`` does (same value;
    gradient (p - y)/N with respect to the logit)."""
    return BCELoss(reduction).graph_call(as_tensor(p), target)


def binary_cross_entropy_with_logits(z: Any, target: Any, reduction: str = "mean") -> Tensor:
    """mean(max(z, 0) - z y + log(1 + exp(-|z|))): sigmoid + binary_cross_entropy, stable for any z."""
    return BCEWithLogitsLoss(reduction).graph_call(as_tensor(z), target)


def mse_loss(pred: Any, target: Any, reduction: str = "mean") -> Tensor:
    """mean((pred - target) ** 2)."""
    return MSELoss(reduction).graph_call(as_tensor(pred), target)


def cross_entropy(
    logits: Any,
    target: Any,
    reduction: str = "mean",
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits (N, C) against integer class indices (N,), as
    ``torch.nn.functional.cross_entropy``: -log softmax(logits)[n, target[n]] (mixed with the mean over
    classes by ``label_smoothing``), 0 for rows whose target is ``ignore_index``; "mean" over the rows
    that count (NaN if none does), "sum", or "none" (the per-sample losses, shape (N,))."""
    if reduction not in ("mean", "sum", "none"):
        raise fail("cross_entropy", "reduction", "be 'mean', 'sum' or 'none'", reduction)
    ignore_index, label_smoothing = ce.check_settings(ignore_index, label_smoothing)
    z = as_tensor(logits)
    t = target.data if isinstance(target, Tensor) else target
    _, t = ce.check_logits_and_targets(z.data, t, ignore_index)
    settings = {"reduction": reduction, "ignore_index": ignore_index, "label_smoothing": label_smoothing}
    return CrossEntropy.apply(z, t, **settings)
