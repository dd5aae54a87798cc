"""gradcheck: compare a layer's (or model's, or loss's) analytic gradients with central differences.

A report is truthy only when every check passed (``assert tnp.gradcheck(layer, x)``). A missing
gradient (``grad is None``), a gradient of the wrong shape, or a NaN / infinite gradient is a
failure (relative error ``inf``), never a silent 0. A model in training mode that draws random
numbers (Dropout) is checked with a fixed mask: every layer's ``rng`` is put back to the same state
before each forward pass, so all evaluations see the same mask as the analytic backward.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .nn.losses import Loss
from .nn.module import Layer


@dataclass
class GradcheckReport:
    """Relative error per tensor, ``||analytic - numeric|| / (||analytic|| + ||numeric||)`` (the
    course's formula; 0 when both are 0). Keys: parameter names, and ``"input"`` for x."""

    errors: dict[str, float] = field(default_factory=dict)
    abs_errors: dict[str, float] = field(default_factory=dict)  # max |analytic - numeric| per tensor
    # ||analytic|| per tensor: a relative error means little where this is near 0, since central
    # differences carry rounding noise of about 1e-16 * |loss| / eps per element.
    grad_norms: dict[str, float] = field(default_factory=dict)
    value: float = 0.0  # the objective (loss) at the point checked
    # tensor -> why its check could not be done ("grad is None", "analytic gradient has NaN", ...)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    def ok(self, tol: float = 1e-6) -> bool:
        """True when every tensor was checked and every relative error is below ``tol``."""
        return not self.problems and bool(self.errors) and self.max_error < tol

    def __bool__(self) -> bool:
        return self.ok()

    def __str__(self) -> str:
        w = max((len(k) for k in self.errors), default=6)
        lines = [f"{'tensor'.ljust(w)}  relative error  max abs error"]
        lines += [
            f"{k.ljust(w)}  {v:14.3e}  {self.abs_errors.get(k, float('nan')):13.3e}"
            for k, v in self.errors.items()
        ]
        lines += [f"{k}: FAILED, {why}" for k, why in self.problems.items()]
        return "\n".join(lines)


def _rel_error(a: np.ndarray, n: np.ndarray) -> float:
    """The relative error; 0 only when both are exactly 0, ``inf`` when either is not finite."""
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(n))):
        return float("inf")
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    return float(np.linalg.norm(a - n) / denom) if denom > 0 else 0.0


def _problem(analytic: Any, numeric: np.ndarray) -> str | None:
    """Why ``analytic`` cannot be compared with ``numeric``, or None."""
    if analytic is None:
        return "the analytic gradient is None (backward did not set it)"
    a = np.asarray(analytic)
    if a.dtype.kind not in "biuf":
        return f"the analytic gradient has dtype {a.dtype}"
    if a.shape != numeric.shape:
        return f"the analytic gradient has shape {a.shape}, expected {numeric.shape}"
    if not np.all(np.isfinite(a)):
        return "the analytic gradient has NaN or infinite values"
    if not np.all(np.isfinite(numeric)):
        return "the numerical gradient has NaN or infinite values (the objective is not finite nearby)"
    return None


def _record(report: GradcheckReport, name: str, analytic: Any, numeric: np.ndarray) -> None:
    why = _problem(analytic, numeric)
    if why is not None:
        report.problems[name] = why
        report.errors[name] = float("inf")
        report.abs_errors[name] = float("inf")
        report.grad_norms[name] = float("nan")
        return
    analytic = np.asarray(analytic, dtype=np.float64)
    report.errors[name] = _rel_error(analytic, numeric)
    report.abs_errors[name] = float(np.max(np.abs(analytic - numeric), initial=0.0))
    report.grad_norms[name] = float(np.linalg.norm(analytic))


class _Elements:
    """Index an array by flat position without copying it (``a.flat`` works for any layout)."""

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def __getitem__(self, i: int) -> Any:
        return self.a.flat[i]

    def __setitem__(self, i: int, value: Any) -> None:
        self.a.flat[i] = value


def _numeric_grad(f: Any, a: np.ndarray, eps: float) -> np.ndarray:
    """Central differences of the scalar f() w.r.t. every element of ``a`` (perturbed in place)."""
    grad = np.zeros_like(a)
    # Element by element through the array itself: a.reshape(-1) would be a copy for a
    # non-contiguous array (e.g. x.T), and the perturbations would never reach ``a``.
    flat, gflat = _Elements(a), _Elements(grad)
    for i in range(a.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def _check_loss(loss: Loss, x: np.ndarray, target: np.ndarray | None, eps: float) -> GradcheckReport:
    """The objective is ``loss(x, target)``; only "input" is checked."""
    if target is None:
        raise ValueError("gradcheck of a loss needs a target")
    t = target

    def objective() -> float:
        return loss(x, t)

    report = GradcheckReport(value=objective())
    analytic_x = loss.backward()
    _record(report, "input", analytic_x, _numeric_grad(objective, x, eps))
    return report


def gradcheck(
    module: Layer | Loss,
    x: np.ndarray,
    target: np.ndarray | None = None,
    loss_fn: Loss | None = None,
    *,
    eps: float = 1e-6,
    seed: int = 0,
) -> GradcheckReport:
    """Check ``module``'s backward against central differences, in float64, on a copy.

    - A layer or model without ``loss_fn``: the objective is ``sum(module(x) * R)`` for a fixed random R
      (so backward receives R as grad_out).
    - With ``loss_fn`` and ``target``: the objective is ``loss_fn(module(x), target)``.
    - A loss itself (``module`` is a Loss): the objective is ``module(x, target)``; only "input" is checked.

    Returns a GradcheckReport with one relative error per parameter and one for the input.
    """
    module = copy.deepcopy(module)
    x = np.array(x, dtype=np.float64)  # a float64 copy we may perturb
    if isinstance(module, Loss):
        return _check_loss(module, x, target, eps)
    if not isinstance(module, Layer):
        raise TypeError(f"gradcheck takes a Layer, Sequential or Loss, got {type(module).__name__}")
    module.to(np.float64)
    if (loss_fn is None) != (target is None):
        raise ValueError("gradcheck: pass both loss_fn and target, or neither")
    loss_fn = copy.deepcopy(loss_fn)
    r = None
    # Random layers (Dropout in training mode): the same draws on every forward pass (a fixed mask).
    rngs = {
        id(g): g
        for g in (getattr(m, "rng", None) for m in module.modules())
        if isinstance(g, np.random.Generator)
    }
    saved = {k: g.bit_generator.state for k, g in rngs.items()}

    def objective() -> float:
        nonlocal r
        for k, state in saved.items():
            rngs[k].bit_generator.state = state
        out = module(x)
        if loss_fn is not None and target is not None:
            return loss_fn(out, target)
        if r is None:
            r = np.random.default_rng(seed).standard_normal(out.shape)
        return float(np.sum(out * r))

    value = objective()
    grad_out = loss_fn.backward() if loss_fn is not None else np.asarray(r)
    analytic_x = module.backward(grad_out, input_grad=True)  # Sequential returns dloss/dx only if asked
    named = module.named_parameters()
    analytic = {name: None if p.grad is None else np.array(p.grad, copy=True) for name, p in named}
    report = GradcheckReport(value=value)
    for name, p in named:
        _record(report, name, analytic[name], _numeric_grad(objective, p.data, eps))
    _record(report, "input", analytic_x, _numeric_grad(objective, x, eps))
    return report
