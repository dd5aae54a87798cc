"""One way to check arguments, and one shape of error message.

Every message reads ``"<who>: <what> must <rule>, got <value>[; <how to fix>]"``. A value of the
wrong *type* raises TypeError, a value of the right type but out of range raises ValueError; KeyError
is kept for lookups. The checks on the training hot path (a layer's input dtype) stay inline in the
layers: these functions are for constructors, fit(), data, losses and metrics.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "check_batch",
    "check_finite_float",
    "check_float_array",
    "check_int",
    "check_probability",
    "fail",
]


def fail(who: str, what: str, rule: str, got: Any, fix: str = "", error: type = ValueError) -> Exception:
    """The error ``"<who>: <what> must <rule>, got <got>[; <fix>]"`` (to be raised by the caller)."""
    shown = got if isinstance(got, str) else repr(got)
    return error(f"{who}: {what} must {rule}, got {shown}" + (f"; {fix}" if fix else ""))


def check_int(who: str, what: str, value: Any, *, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum``. Floats (even 2.0), bools and strings are TypeErrors."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise fail(who, what, f"be an integer >= {minimum}", value, error=TypeError)
    if value < minimum:
        raise fail(who, what, f"be >= {minimum}", value)
    return int(value)


def check_finite_float(
    who: str,
    what: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    open_max: bool = False,
) -> float:
    """``value`` as a finite float in [minimum, maximum] (or [minimum, maximum) with ``open_max``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise fail(who, what, "be a real number", value, error=TypeError)
    v = float(value)
    lo = "-inf" if minimum is None else f"{minimum:g}"
    hi = "inf" if maximum is None else f"{maximum:g}"
    rule = f"be a finite number in [{lo}, {hi}{')' if open_max else ']'}"
    if not math.isfinite(v):
        raise fail(who, what, rule, value)
    if minimum is not None and v < minimum:
        raise fail(who, what, rule, value)
    if maximum is not None and (v > maximum or (open_max and v == maximum)):
        raise fail(who, what, rule, value)
    return v


def check_probability(who: str, what: str, value: Any) -> float:
    """A float in [0, 1]."""
    return check_finite_float(who, what, value, minimum=0.0, maximum=1.0)


def check_float_array(who: str, what: str, x: Any) -> np.ndarray:
    """``x`` as a floating-point ndarray (TypeError with the conversion to use otherwise)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        hint = (
            "x.astype(np.float64) / 255 for 8-bit images" if x.dtype == np.uint8 else "x.astype(np.float64)"
        )
        raise fail(
            who, what, "be a floating-point array", f"dtype {x.dtype}", f"convert with {hint}", TypeError
        )
    return x


def check_labels(who: str, what: str, y: Any) -> np.ndarray:
    """``y`` as a real-valued ndarray (bool, int or float); complex and object labels are TypeErrors."""
    y = np.asarray(y)
    if y.dtype.kind not in "biuf":
        raise fail(who, what, "hold real numbers", f"dtype {y.dtype}", error=TypeError)
    return y


def check_batch(
    who: str, x: Any, y: Any, *, names: tuple[str, str] = ("x", "y")
) -> tuple[np.ndarray, np.ndarray]:
    """Batch-first ``x`` (m, ...) and labels ``y`` (m, ...) with the same, non-zero, number of samples."""
    x, y = np.asarray(x), check_labels(who, names[1], y)
    if x.ndim == 0 or y.ndim == 0:
        shapes = f"shapes {x.shape} and {y.shape}"
        raise fail(who, f"{names[0]} and {names[1]}", "be batch-first arrays (samples on axis 0)", shapes)
    if len(x) != len(y):
        raise fail(
            who,
            f"{names[0]} and {names[1]}",
            "have the same number of samples on axis 0 (batch-first)",
            f"{len(x)} and {len(y)} (shapes {x.shape} and {y.shape})",
        )
    if len(x) == 0:
        raise fail(who, names[0], "hold at least one sample", f"shape {x.shape}")
    return x, y
