"""Gradient clipping by the total norm, as ``torch.nn.utils.clip_grad_norm_``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..validation import check_finite_float, fail

__all__ = ["clip_grad_norm_"]

WHO = "clip_grad_norm_"


def _norm_type(value: Any) -> float:
    if value == "inf":
        return math.inf
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(WHO, "norm_type", "be a number > 0 or inf", repr(value), error=TypeError)
    p = float(value)
    if not p > 0:
        raise fail(WHO, "norm_type", "be a number > 0 or inf", value)
    return p


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale the gradients of ``parameters`` together so that their total norm is at most ``max_norm``;
    returns the total norm before clipping (a float; PyTorch returns a 0-d tensor).

        total = || (||g_1||, ..., ||g_k||) ||        the ``norm_type``-norm (2, 1, inf, any p > 0) of
                                                     every gradient's norm: the norm of all of them
                                                     laid end to end
        g_i = g_i * min(1, max_norm / (total + 1e-6))

    Parameters without a gradient are skipped (no gradient at all: 0.0, nothing changes). Each
    gradient is replaced by a scaled copy in its dtype (an array the engine may share is never
    written). A non-finite total raises with ``error_if_nonfinite=True``; otherwise, as PyTorch, the
    gradients are scaled by what the formula gives (NaN for a NaN total, 0 for an infinite one).
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            got = f"a {type(p).__name__}"
            fix = "pass model.parameters()"
            raise fail(WHO, f"parameters item {i}", "be a Parameter or Tensor", got, fix, TypeError)
    max_norm = check_finite_float(WHO, "max_norm", max_norm, minimum=0.0)
    p_norm = _norm_type(norm_type)
    grads: list[np.ndarray] = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    norms = np.array([np.linalg.norm(np.ravel(g), ord=p_norm) for g in grads], dtype=np.float64)
    total = float(np.linalg.norm(norms, ord=p_norm))
    if error_if_nonfinite and not math.isfinite(total):
        fix = "check the loss and inputs, or pass error_if_nonfinite=False"
        what = f"the total {norm_type}-norm of the gradients"
        raise fail(WHO, what, "be finite (error_if_nonfinite=True)", total, fix, RuntimeError)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0 or math.isnan(coef):
        for p in params:
            if p.grad is not None:
                p.grad = p.grad * np.asarray(coef, dtype=p.grad.dtype)
    return total
