"""The numeric half of ``gradcheck``: central differences, the comparison with an analytic gradient,
the report, and the fixed random draws that make a check of Dropout meaningful.

Central differences: ``(f(a + eps e_i) - f(a - eps e_i)) / (2 eps)`` for every element i of ``a``
(perturbed in place), with a truncation error of ~eps**2 and rounding noise of ~1e-16 |f| / eps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Generator = np.random.Generator | np.random.RandomState


@dataclass
class GradcheckReport:
    """Relative error per tensor, ``||analytic - numeric|| / (||analytic|| + ||numeric||)`` (the
    course's formula; 0 when both are 0). Keys: parameter names, and ``"input"`` for x (a function's
    inputs: ``"input"`` for one, ``"input0"``, ``"input1"``, ... by position for several)."""

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


def rel_error(a: np.ndarray, n: np.ndarray) -> float:
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
    if a.dtype != numeric.dtype:
        return f"the analytic gradient has dtype {a.dtype}, expected {numeric.dtype} (the check's dtype)"
    if a.shape != numeric.shape:
        return f"the analytic gradient has shape {a.shape}, expected {numeric.shape}"
    if not np.all(np.isfinite(a)):
        return "the analytic gradient has NaN or infinite values"
    if not np.all(np.isfinite(numeric)):
        return "the numerical gradient has NaN or infinite values (the objective is not finite nearby)"
    return None


def record(report: GradcheckReport, name: str, analytic: Any, numeric: np.ndarray) -> None:
    """Compare the analytic gradient of tensor ``name`` with its central differences ``numeric``."""
    why = _problem(analytic, numeric)
    if why is not None:
        report.problems[name] = why
        report.errors[name] = float("inf")
        report.abs_errors[name] = float("inf")
        report.grad_norms[name] = float("nan")
        return
    analytic = np.asarray(analytic)
    report.errors[name] = rel_error(analytic, numeric)
    report.abs_errors[name] = float(np.max(np.abs(analytic - numeric), initial=0.0))
    report.grad_norms[name] = float(np.linalg.norm(analytic))


def numeric_grad(f: Callable[[], float], a: np.ndarray, eps: float) -> np.ndarray:
    """Central differences of the scalar f() w.r.t. every element of ``a`` (perturbed in place, and
    put back). Element by element through ``a.flat``: ``a.reshape(-1)`` would be a copy for a
    non-contiguous array (e.g. x.T), and the perturbations would never reach ``a``."""
    grad = np.zeros_like(a)
    for i in range(a.size):
        old = a.flat[i]
        a.flat[i] = old + eps
        f_plus = f()
        a.flat[i] = old - eps
        f_minus = f()
        a.flat[i] = old
        grad.flat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


class FixedDraws:
    """Puts random generators back to the state they had when this was made, so that every
    evaluation of the objective draws the same numbers (the same Dropout mask) as the analytic pass."""

    def __init__(self, generators: Iterable[Generator]) -> None:
        unique = {id(g): g for g in generators}
        self._saved = [(g, _state(g)) for g in unique.values()]

    def restore(self) -> None:
        for g, state in self._saved:
            if isinstance(g, np.random.Generator):
                g.bit_generator.state = state
            else:
                g.set_state(state)


def _state(g: Generator) -> Any:
    return g.bit_generator.state if isinstance(g, np.random.Generator) else g.get_state()


def generators_of(objects: Iterable[object]) -> list[Generator]:
    """The random generators held as attributes by ``objects`` (e.g. every Dropout's ``rng``)."""
    return [
        v
        for obj in objects
        for v in vars(obj).values()
        if isinstance(v, np.random.Generator | np.random.RandomState)
    ]
