"""How the error-function coefficients in ``tinygrad_np/numerics.py`` were made (needs mpmath, which
PyTorch's sympy brings): least-squares Chebyshev fits at 400 Chebyshev nodes to mpmath's erf/erfc at
40 digits, converted to powers of the normalised variable n in [-1, 1], printed for pasting.

    python -m benchmarks.erf_fit

The three pieces (u >= 0):
    A: erf(u) / u                  as a polynomial in n = 2 u^2 - 1,            0 <= u <= 1
    B: exp(u^2) erfc(u)            as a polynomial in n = 8 / (1 + u) - 3,      1 <= u <= 3
    C: u sqrt(pi) exp(u^2) erfc(u) as a polynomial in n = 18 / u^2 - 1,         u >= 3
Degrees: float64 (10, 12, 14), max relative error ~1e-15; float32 (6, 6, 6), ~2e-8.

float32's normal CDF uses one formula instead (no pieces to gather), Numerical Recipes' form refitted:
    D: log(erfc(u) / t) + u^2      as a polynomial in n = 2 t - 1, t = 1 / (1 + u/2),   u >= 0
degree 9, max absolute error ~1e-7 in D, so erfc = t exp(-u^2 + D) has a relative error ~1e-7.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
from numpy.polynomial import chebyshev, polynomial

mp.mp.dps = 40
SQRT_PI = mp.sqrt(mp.pi)

PIECES = {  # name: (function of v, v's interval)
    "A": (lambda s: mp.erf(mp.sqrt(s)) / mp.sqrt(s) if s > 0 else 2 / SQRT_PI, 0.0, 1.0),
    "B": (lambda w: mp.exp((1 / w - 1) ** 2) * mp.erfc(1 / w - 1), 0.25, 0.5),
    "C": (
        lambda t: (
            (1 / mp.sqrt(t)) * SQRT_PI * mp.exp(1 / t) * mp.erfc(1 / mp.sqrt(t)) if t > 0 else mp.mpf(1)
        ),
        0.0,
        1 / 9,
    ),
    "D": (
        lambda t: mp.log(mp.erfc(2 / t - 2) / t) + (2 / t - 2) ** 2 if t > 0 else mp.log(0.5 / SQRT_PI),
        0.0,
        1.0,
    ),
}


def fit(name: str, degree: int) -> tuple[np.ndarray, float]:
    """Power-series coefficients (lowest first) in n = 2 (v - a) / (b - a) - 1, and the largest relative
    error on 4001 points."""
    f, a, b = PIECES[name]
    nodes = np.cos(np.pi * (np.arange(400) + 0.5) / 400)
    y = np.array([float(f(mp.mpf(a + (n + 1) / 2 * (b - a)))) for n in nodes])
    coefs = chebyshev.cheb2poly(chebyshev.chebfit(nodes, y, degree))
    n = np.linspace(-1, 1, 4001)
    truth = np.array([float(f(mp.mpf(a + (k + 1) / 2 * (b - a)))) for k in n])
    return coefs, float(np.max(np.abs(polynomial.polyval(n, coefs) / truth - 1)))


if __name__ == "__main__":
    for dtype, degrees in (("float64", (10, 12, 14)), ("float32", (6, 6, 6))):
        for name, degree in zip("ABC", degrees, strict=True):
            coefs, err = fit(name, degree)
            print(f"# {dtype} {name}: degree {degree}, max relative error {err:.1e}")
            print("(" + ", ".join(repr(float(c)) for c in coefs) + ")")
    coefs, _ = fit("D", 9)
    print("# float32 normal CDF, D: degree 9 (its error is absolute: see the docstring)")
    print("(" + ", ".join(repr(float(c)) for c in coefs) + ")")
