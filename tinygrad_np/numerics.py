"""Numerically stable building blocks shared by layers, losses and the graph's ops (ndarrays in and out)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow: with e = exp(-|z|) <= 1, sigmoid is 1/(1+e) for z >= 0
    and e/(1+e) for z < 0. Finite for any finite z, dtype preserved."""
    e = np.exp(-np.abs(z))
    num = np.where(z >= 0, 1, e)  # the Python 1 takes e's dtype
    e += 1
    return np.divide(num, e, out=num)


def softplus_neg_abs(z: np.ndarray) -> np.ndarray:
    """log(1 + exp(-|z|)): the overflow-free part of log-sigmoid and of BCE with logits."""
    return np.log1p(np.exp(-np.abs(z)))


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(softmax(z)) along ``axis`` without overflow: z - max(z) - log(sum(exp(z - max(z)))). The
    largest shifted value is 0, so exp never overflows and the sum is >= 1 (its log is finite).
    Finite for any finite z, dtype preserved; an empty ``axis`` gives an empty result."""
    out = z - _max(z, axis)
    if out.size:  # (an empty input: no sums of nothing to take the log of)
        out -= np.log(np.sum(np.exp(out), axis=axis, keepdims=True))
    return out


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z) / sum(exp(z)) along ``axis``, computed on z - max(z) (the same value, no overflow);
    entries are in [0, 1] and sum to 1. dtype preserved; an empty ``axis`` gives an empty result."""
    e = np.exp(z - _max(z, axis))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


def _max(z: np.ndarray, axis: int) -> np.ndarray:
    """max(z) along ``axis`` (kept as a dimension of 1); -inf along an empty axis instead of an error."""
    return np.max(z, axis=axis, keepdims=True, initial=-np.inf)


# -- the error function (NumPy has none) ------------------------------------------------------------
# Three pieces on u >= 0, each a polynomial in a variable n in [-1, 1] (least-squares Chebyshev fits to
# mpmath's erf at 40 digits: benchmarks/erf_fit.py). float64: relative error <= ~2e-15 everywhere
# (exp(-u^2) adds ~u^2 * 1e-16 for large u); float32 uses degree-6 fits (<= 2e-8) and runs in float32.
#   A: erf(u) / u                   in n = 2 u^2 - 1          for 0 <= u <= 1
#   B: exp(u^2) erfc(u)             in n = 8 / (1 + u) - 3    for 1 <= u <= 3
#   C: u sqrt(pi) exp(u^2) erfc(u)  in n = 18 / u^2 - 1       for u >= 3
_ERF_COEFFICIENTS = {
    "float64": (
        (0.9654687386698676, -0.14053608902272124, 0.01985249668898854, -0.0022854855610632717,
         0.00021751715601084823, -1.7537169892403126e-05, 1.2233828207924677e-06, -7.511465845601448e-08,
         4.1156933359232464e-09, -2.045629641178597e-10, 9.23312871325971e-12),
        (0.2962874773692117, 0.12511488225019776, 0.007043343961095474, -0.0008395545065884826,
         -3.7345320135789564e-05, 1.6069124678747186e-05, -1.1684704899256907e-06, -1.7911945303660792e-07,
         5.6669802889435893e-08, -5.531687711486429e-09, -5.011418576278417e-10, 2.7006123690624e-10,
         -3.974372688233506e-11),
        (0.9742659653812049, -0.023920359552299174, 0.0016171940656716495, -0.0001687757158539408,
         2.3004970658894718e-05, -3.7833494359176193e-06, 7.171641176714095e-07, -1.5212501922215693e-07,
         3.5384715329145364e-08, -8.945468184001264e-09, 2.4132050067786995e-09, -6.201763057596273e-10,
         1.7743585986692683e-10, -9.97836335408156e-11, 3.495358670136648e-11),
    ),
    "float32": (
        (0.9654687386375514, -0.1405360972815369, 0.01985249772278026, -0.002285419528893609,
         0.00021751198975516824, -1.7669080810416135e-05, 1.2316401752261258e-06),
        (0.29628747693635527, 0.12511486157049578, 0.007043357833533286, -0.0008393900017247576,
         -3.741485475821079e-05, 1.5743915590484202e-05, -1.0566769646899518e-06),
        (0.9742659650563569, -0.023920378292619747, 0.0016172043558432072, -0.00016862776613684548,
         2.295437532639924e-05, -4.07157310750916e-06, 7.954672974074019e-07),
    ),
}  # fmt: skip


def _polynomial(n: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    """Σ c_k n^k by Horner's rule, in place on one new array of n's dtype."""
    t = n.dtype.type
    y = np.full_like(n, t(coefficients[-1]))
    for c in coefficients[-2::-1]:
        y *= n
        y += t(c)
    return y


def _pieces(dtype: np.dtype) -> tuple[tuple[float, ...], ...]:
    return _ERF_COEFFICIENTS["float32" if dtype.itemsize <= 4 else "float64"]


def _erf_small(u: np.ndarray) -> np.ndarray:
    """erf(u) for |u| <= 1 (piece A; larger |u| are clipped to 1, for callers that overwrite them)."""
    s = np.minimum(u * u, u.dtype.type(1))
    s *= 2
    s -= 1
    y = _polynomial(s, _pieces(u.dtype)[0])
    y *= u
    return y


def _erfc_large(u: np.ndarray) -> np.ndarray:
    """erfc(u) for u >= 1 (pieces B and C), relative error ~1e-15 (float64) down to underflow."""
    _, b, c = _pieces(u.dtype)
    out = np.exp(-(u * u))
    near, far = np.flatnonzero(u < 3), np.flatnonzero(u >= 3)  # (indices: faster than boolean masks)
    un, uf = u[near], u[far]
    out[near] *= _polynomial(8 / (1 + un) - 3, b)
    out[far] *= _polynomial(18 / (uf * uf) - 1, c) / (uf * u.dtype.type(np.sqrt(np.pi)))
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """The error function 2/sqrt(pi) ∫_0^x exp(-t^2) dt, element-wise, in x's float dtype."""
    x = np.asarray(x)
    y = _erf_small(x)
    far = np.flatnonzero(np.abs(x) > 1)
    xf = x.reshape(-1)[far]
    y = y.reshape(-1)
    y[far] = np.copysign(1 - _erfc_large(np.abs(xf)), xf)
    return y.reshape(x.shape)


# float32's Φ: one formula for every u >= 0, no pieces to gather (random signs and branches are what
# make the three-piece version slow):  erfc(u) = t exp(-u² + D(2t - 1)),  t = 1 / (1 + u/2),  D a
# degree-9 polynomial (benchmarks/erf_fit.py, piece D); relative error ~1e-7, a few ulps (in the far lower
# tail x² rounded in float32 adds ~x² ulps, as it does to any float32 formula).
_ERFC_FLOAT32 = (
    -0.671794076054334, 0.6726422171554899, 0.04734310629090144, -0.04687488817888362, -0.009873768747327441,
    0.008703812035290023, 0.0017765646349956123, -0.0020487347605819832, -0.0002079091205839194,
    0.00033373589394308377,
)  # fmt: skip
BLOCK = 1 << 15  # elements: a block's dozens of passes stay in cache instead of streaming through memory


def blockwise(fn: Callable[..., np.ndarray], *arrays: np.ndarray) -> np.ndarray:
    """``fn`` applied to consecutive flat blocks of ``BLOCK`` elements of the same-shaped ``arrays``, the
    results put together in the first array's shape (an element-wise ``fn`` gives the same values)."""
    if arrays[0].size <= BLOCK:
        return fn(*arrays)
    flat = [np.ascontiguousarray(a).reshape(-1) for a in arrays]
    out = np.empty_like(flat[0])
    for start in range(0, out.size, BLOCK):
        out[start : start + BLOCK] = fn(*(a[start : start + BLOCK] for a in flat))
    return out.reshape(arrays[0].shape)


def block_slices(n: int, item_bytes: int, block_bytes: int) -> list[slice]:
    """Slices cutting 0..n into blocks of items of ``item_bytes`` each, about ``block_bytes`` a block (at
    least one item), for passes that should find a block still in the CPU's cache."""
    per = max(1, block_bytes // max(1, item_bytes))
    return [slice(s, min(s + per, n)) for s in range(0, n, per)]


def leading_blocks(a: np.ndarray, block_bytes: int) -> list[slice]:
    """``block_slices`` of ``a``'s axis 0 (BatchNorm's channels, the pools' planes)."""
    return block_slices(len(a), a.itemsize * math.prod(a.shape[1:]), block_bytes)


def _normal_cdf_float32(x: np.ndarray) -> np.ndarray:
    t = x.dtype.type
    u = np.abs(x)
    u *= t(np.sqrt(0.5))  # u = |x| / sqrt(2)
    s = u * t(0.5)
    s += 1
    np.reciprocal(s, out=s)  # t = 1 / (1 + u/2), in (0, 1]
    n = s * t(2)
    n -= 1
    r = _polynomial(n, _ERFC_FLOAT32)
    u *= u
    r -= u
    np.exp(r, out=r)
    r *= s
    r *= t(0.5)  # r = erfc(|x| / sqrt 2) / 2 = Φ(-|x|)
    out = np.multiply(r, t(-2))
    out += 1
    out *= x >= 0  # Φ(x) = r for x < 0, 1 - r for x >= 0, without a branch per element
    out += r
    return out


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) = P(N(0, 1) <= x) = erfc(-x / sqrt(2)) / 2, element-wise, with a small relative error also in
    the lower tail (no 1 - erf cancellation there), in x's float dtype: float64 to ~1e-15 (three pieces),
    float32 to ~1e-7 (one formula). Large arrays go block by block (``blockwise``)."""
    x = np.asarray(x)
    return blockwise(_normal_cdf_float32 if x.dtype.itemsize <= 4 else _normal_cdf_pieces, x)


def _normal_cdf_pieces(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    u = x * x.dtype.type(-np.sqrt(0.5))
    p = _erf_small(u)  # 1 - erf(u) on |u| <= 1 ...
    np.subtract(1, p, out=p)
    far = np.flatnonzero(np.abs(u) > 1)  # ... erfc(|u|) beyond, taken from 2 for u < -1
    uf = u.reshape(-1)[far]
    tail = _erfc_large(np.abs(uf))
    p = p.reshape(-1)
    p[far] = np.where(uf > 0, tail, 2 - tail)
    p *= x.dtype.type(0.5)
    return p.reshape(x.shape)
