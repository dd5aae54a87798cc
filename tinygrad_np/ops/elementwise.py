"""Element-wise arithmetic: + - * / on broadcast operands, the unary maths (neg, pow, exp, log,
sqrt, abs, clip), where (select by a mask) and cast (change the dtype). A backward may return a
gradient at the broadcast (output) shape: the engine (and ``set_grad``) sums broadcast dimensions
back to each input's shape, in one place."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function

Array = np.ndarray


# -- binary, element-wise (broadcasting) -----------------------------------------------------------
class Add(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        return a + b

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, Array]:
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        return a - b

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, Array]:
        return g, -g


class Mul(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, Array | None]:
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (g * b if da else None), (g * a if db else None)


class Div(Function):
    @staticmethod
    def forward(ctx: Any, a: Array, b: Array) -> Array:
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array | None, Array | None]:
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (g / b if da else None), (-g * a / (b * b) if db else None)


# -- unary, element-wise ---------------------------------------------------------------------------
class Neg(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        return -a

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (-g,)


class Pow(Function):
    """a ** c for a number c: d/da = c a^(c-1)."""

    @staticmethod
    def forward(ctx: Any, a: Array, c: float) -> Array:
        ctx.save_for_backward(a, c)
        return a**c

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array, None]:
        a, c = ctx.saved_tensors
        return g * c * a ** (c - 1), None


class Exp(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        y = np.exp(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * ctx.saved_tensors[0],)


class Log(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g / ctx.saved_tensors[0],)


class Sqrt(Function):
    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        y = np.sqrt(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g / (2 * ctx.saved_tensors[0]),)


class Abs(Function):
    """|a|; gradient sign(a), 0 at exactly 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx: Any, a: Array) -> Array:
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * np.sign(ctx.saved_tensors[0]),)


class Clip(Function):
    """clip(a, lo, hi) (either bound may be None); gradient 1 where lo <= a <= hi, else 0 (as PyTorch)."""

    @staticmethod
    def forward(ctx: Any, a: Array, lo: float | None = None, hi: float | None = None) -> Array:
        inside = np.ones(a.shape, dtype=bool)
        if lo is not None:
            inside &= a >= lo
        if hi is not None:
            inside &= a <= hi
        ctx.save_for_backward(inside)
        return np.clip(a, lo, hi)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g * ctx.saved_tensors[0],)


# -- selection and dtype ---------------------------------------------------------------------------
class Where(Function):
    """where(cond, a, b): a where cond is True, b elsewhere (cond, a, b broadcast together; cond a
    boolean array, a constant). The gradient flows to a where cond holds and to b where it does not."""

    @staticmethod
    def forward(ctx: Any, cond: Array, a: Array, b: Array) -> Array:
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[None, Array | None, Array | None]:
        cond = ctx.saved_tensors[0]
        _, da, db = ctx.needs_input_grad
        return None, (np.where(cond, g, 0) if da else None), (np.where(cond, 0, g) if db else None)


class Cast(Function):
    """a as floating-point ``dtype``; the gradient is cast back to a's dtype."""

    @staticmethod
    def forward(ctx: Any, a: Array, dtype: Any = np.float64) -> Array:
        ctx.save_for_backward(a.dtype)
        return a.astype(dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, g: Array) -> tuple[Array]:
        return (g.astype(ctx.saved_tensors[0], copy=False),)
