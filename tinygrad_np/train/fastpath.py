"""The full-batch fast path: the first Linear layer trained in sample space.

With the same inputs ``x`` (m, n) at every step (full-batch training) and SGD, every update of the
first layer's weight W (out, n) is a combination of W's starting value and the rows of x:
``dL/dW = Gᵀ x`` with ``G = dL/dZ`` (m, out). So W, and SGD's momentum buffer, stay of the form

    W(t) = Σ_k c_k(t) F_k + A(t) x        F_k: W (and the momentum buffer) when the path started,
                                            c: a few scalars, A: (out, m)

and the first layer's output needs no product with x at all:

    Z(t) = x W(t)ᵀ + b = Σ_k c_k(t) P_k + K A(t)ᵀ + b,    P_k = x F_kᵀ,  K = x xᵀ (m, m), once.

Per step this costs m·m·out multiply-adds instead of the two products x Wᵀ and Gᵀ x (2·m·n·out): for
the course's cat model (m = 209, n = 12288) about 120 times fewer. The recurrences for (c, A) are SGD's
own (weight decay, momentum, dampening, Nesterov, the lr of each step), applied to coefficients
instead of arrays, so the result is the same in exact arithmetic and differs only by rounding.

The validation pass works the same way: ``x_val W(t)ᵀ = Σ c_k x_val F_kᵀ + (x_val xᵀ) A(t)ᵀ``,
with ``x_val xᵀ`` (m_val, m) computed once.

fit() takes this path only where it is exact (see ``eligible``) and materialises W (and the momentum
buffer) whenever anything outside the loop may look: when a callback reads ``state.model`` or
``state.optimizer``, on Ctrl-C, on divergence and at the end of training. After it has been
looked at, the path starts afresh from the model's arrays (a callback may have changed them).
Rounding: the sample-space arrays (K, A, c, P) are float64 whatever the model's dtype; Z is rounded
to the model's dtype. In float64 the two paths agree to ~1e-15 per step (the course's costs to 1e-9
after 2500 iterations). In float32 they agree to float32 rounding, but with ReLU a pre-activation
within rounding of 0 can fall on different sides of the kink in the two paths, after which the runs
part as float32 runs of any two libraries may: on the cat model this happens at iteration 65, and
after 2500 iterations the float32 loss is 0.0677 against the normal path's 0.0850 (float64 0.0884,
PyTorch float32 0.0845, the course's code in float32 0.0676).
Switch it off with ``fit(..., fast_path=False)`` or the environment variable
``TINYGRAD_NP_FAST_PATH=0``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..nn.container import Sequential
from ..nn.linear import Linear
from ..nn.losses import Loss
from ..optim.optimizer import Optimizer
from ..optim.sgd import SGD

__all__ = ["ENV_VAR", "FirstLayerFastPath", "eligible"]

ENV_VAR = "TINYGRAD_NP_FAST_PATH"
# The path pays off when the samples are much fewer than the first layer's inputs.
MAX_SAMPLES_PER_INPUT = 0.25

# OpenBLAS runs a product on several threads when m*n*k > 262144. Then each call must wake its
# threads: on a busy machine that costs milliseconds, far more than the product. K Aᵀ is computed
# in row blocks below that size, each on the calling thread.
_SINGLE_THREAD_MNK = 1 << 18

_COLUMNS = 2048  # columns of a float32 x converted to float64 at a time


def _products64(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """u vᵀ summed in float64, converting float32 inputs a block of columns at a time (no full copy)."""
    if u.dtype == np.float64 and v.dtype == np.float64:
        return u @ v.T  # u is v: NumPy's syrk
    out = np.zeros((len(u), len(v)))
    for s in range(0, u.shape[1], _COLUMNS):
        vb = v[:, s : s + _COLUMNS].astype(np.float64)
        ub = vb if u is v else u[:, s : s + _COLUMNS].astype(np.float64)
        out += ub @ vb.T
    return out


def _times64(a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """a (float64) @ x in float64, converting a float32 x a block of columns at a time."""
    if x.dtype == np.float64:
        return a @ x
    out = np.empty((len(a), x.shape[1]))
    for s in range(0, x.shape[1], _COLUMNS):
        # assigned rather than matmul(out=...): a strided out= takes NumPy off its BLAS path
        out[:, s : s + _COLUMNS] = a @ x[:, s : s + _COLUMNS].astype(np.float64)
    return out


Coef = tuple[np.ndarray, np.ndarray]  # (c: (k,), A: (out, m)), standing for Σ c_k F_k + A x


def eligible(
    model: object,
    optimizer: object,
    x: np.ndarray,
    *,
    full_batch: bool,
    validation: np.ndarray | None,
    callbacks: Sequence[object],
    requested: bool = True,
) -> bool:
    """Whether fit() may train ``model``'s first layer in sample space, exactly as the normal path
    would (up to rounding): full batch, a ``Sequential`` starting with a ``Linear`` fed by x (2-d, of
    the weights' dtype, m <= n / 4) and by the validation inputs (if any, same rule but for m) whose
    weight SGD trains and no other layer holds, and no callback that reads the weights every epoch
    (``Callback.reads_weights``)."""
    if not requested or os.environ.get(ENV_VAR, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if not full_batch or type(optimizer) is not SGD:
        return False
    if type(model) is not Sequential or len(model.layers) < 2 or type(model.layers[0]) is not Linear:
        return False
    first = model.layers[0]
    w = first.weight
    if x.ndim != 2 or x.shape[1] != first.in_features or x.dtype != w.data.dtype:
        return False
    if len(x) > MAX_SAMPLES_PER_INPUT * first.in_features:
        return False
    v = validation
    if v is not None and (v.ndim != 2 or v.shape[1] != first.in_features or v.dtype != w.data.dtype):
        return False
    if not any(p is w for p in optimizer.params):
        return False
    if any(p is w for layer in model.layers[1:] for p in layer.parameters()):
        return False  # shared with a later layer: its gradient has other terms
    return not any(getattr(cb, "reads_weights", True) for cb in callbacks)


class FirstLayerFastPath:
    """Trains ``model.layers[0]`` (a Linear) in sample space over the fixed batch ``x``; the other
    layers run as usual. ``forward()`` -> the model's output, ``backward(loss_fn)``, then the
    optimiser's ``step()`` (which skips W: its grad is None), then ``update()``. ``sync()`` writes W
    and the momentum buffer into the model and optimiser; ``finish()`` also sets W's grad."""

    def __init__(
        self, model: Sequential, optimizer: Optimizer, x: np.ndarray, x_val: np.ndarray | None = None
    ) -> None:
        assert isinstance(optimizer, SGD)
        self.model, self.optimizer, self.x = model, optimizer, x
        self.layer: Linear = model.layers[0]  # type: ignore[assignment]
        self.weight = self.layer.weight
        self.rest = Sequential(*model.layers[1:])  # shares the layers
        # Sample space is kept in float64 whatever the model's dtype: K sums n products of inputs,
        # often all positive (pixels), and K Aᵀ cancels much of it, so float32 would lose digits that
        # the normal path keeps. K, A, c and P are float64; Z is rounded to the model's dtype.
        self.K = _products64(x, x)  # (m, m), once
        # Validation inputs: x_val W(t)ᵀ = Σ c_k x_val F_kᵀ + (x_val xᵀ) A(t)ᵀ, no product with x_val.
        self.x_val = x_val
        self.K_val = None if x_val is None else _products64(x_val, x)
        self.P_val: list[np.ndarray] = []
        self.rows = max(1, _SINGLE_THREAD_MNK // (len(x) * self.weight.shape[0]))  # see forward()
        self.others = [p for p in model.parameters() if p is not self.weight]
        self.basis_finite = True
        self.F: list[np.ndarray] = []
        self.P: list[np.ndarray] = []
        self.w: Coef | None = None
        self.buf: Coef | None = None
        self.G: np.ndarray | None = None
        self.fresh = False  # the model's arrays hold the current values
        self.stale_basis = True  # rebuild F, P from the model's arrays before the next step

    # -- the basis -----------------------------------------------------------------------------
    def _rebase(self) -> None:
        """Start from the model's current W (and momentum buffer): F, P, and unit coefficients."""
        w_now = self.weight.data
        buf_now = self.optimizer.state.get(self.weight, {}).get("momentum_buffer")
        self.F = [np.array(w_now, copy=True)] + (
            [np.array(buf_now, copy=True)] if buf_now is not None else []
        )
        dt = self.K.dtype  # float64, see __init__
        self.P = [(self.x @ f.T).astype(dt, copy=False) for f in self.F]
        self.P_val = (
            [(self.x_val @ f.T).astype(dt, copy=False) for f in self.F] if self.x_val is not None else []
        )
        k, shape = len(self.F), (self.weight.shape[0], len(self.x))
        self.w = (np.eye(k, dtype=dt)[0], np.zeros(shape, dt))
        self.buf = (np.eye(k, dtype=dt)[1], np.zeros(shape, dt)) if buf_now is not None else None
        self.basis_finite = all(bool(np.all(np.isfinite(a))) for a in self.F)
        self.stale_basis = False

    def _combine(self, coef: Coef) -> np.ndarray:
        """Σ c_k F_k + A x, a new (out, n) array of the model's dtype."""
        c, a = coef
        out = _times64(a, self.x)
        for ck, f in zip(c, self.F, strict=True):
            if ck == 1:
                out += f
            elif ck != 0:
                out += ck * f
        return out.astype(self.weight.data.dtype, copy=False)

    # -- one step ------------------------------------------------------------------------------
    def forward(self) -> np.ndarray:
        """The model's output on x: Z = Σ c_k P_k + K Aᵀ + b, then the other layers."""
        if self.stale_basis:
            self._rebase()
        z = self._pre_activation(self.K, self.P)
        self.fresh = False
        return self.rest(z)

    def predict_val(self, start: int, stop: int) -> np.ndarray:
        """The model's output on validation samples start:stop (the caller sets eval mode)."""
        if self.stale_basis:  # the model's arrays are current (nothing trained since the last sync)
            assert self.x_val is not None
            return self.model(self.x_val[start:stop])
        assert self.K_val is not None
        return self.rest(self._pre_activation(self.K_val[start:stop], [p[start:stop] for p in self.P_val]))

    def _pre_activation(self, gram: np.ndarray, cross: list[np.ndarray]) -> np.ndarray:
        """Σ c_k cross_k + gram Aᵀ + b: the first layer's output on the inputs whose products with x are
        ``gram`` (rows, m) and with the F_k are ``cross`` (rows, out)."""
        assert self.w is not None
        c, a = self.w
        z = np.empty((len(gram), a.shape[0]), dtype=gram.dtype)
        for r in range(0, len(z), self.rows):
            np.matmul(gram[r : r + self.rows], a.T, out=z[r : r + self.rows])
        for ck, p in zip(c, cross, strict=True):
            if ck == 1:
                z += p
            elif ck != 0:
                z += ck * p
        if self.layer.bias is not None:
            z += self.layer.bias.data
        return z.astype(self.weight.data.dtype, copy=False)

    def backward(self, loss_fn: Loss) -> None:
        """G = dL/dZ through the other layers; the bias gradient; W's grad left None for update()."""
        g = self.rest.backward_from(loss_fn, input_grad=True)
        assert g is not None
        self.G = g
        if self.layer.bias is not None:
            g.sum(axis=0, out=self.layer.bias.grad_buffer())
        self.weight.grad = None  # the optimiser's step() skips W; update() does its step

    def update(self) -> None:
        """SGD.step's update of W, on the coefficients, with the optimiser's current settings."""
        opt, g_out = self.optimizer, self.G
        assert isinstance(opt, SGD) and self.w is not None and g_out is not None
        c, a = self.w
        lr, mu, wd = opt.lr, opt.momentum, opt.weight_decay
        if wd:
            gc, ga = wd * c, g_out.T + wd * a
        else:
            gc, ga = np.zeros_like(c), g_out.T
        if mu:
            if self.buf is None:
                self.buf = (gc.copy(), np.array(ga, dtype=a.dtype, copy=True))
            else:
                bc, ba = self.buf
                bc *= mu
                bc += (1 - opt.dampening) * gc
                ba *= mu
                ba += (1 - opt.dampening) * ga
            bc, ba = self.buf
            gc, ga = (gc + mu * bc, ga + mu * ba) if opt.nesterov else (bc, ba)
        c -= lr * gc
        a -= lr * ga

    # -- making it visible ----------------------------------------------------------------------
    def sync(self) -> None:
        """Write the current W (in place) and momentum buffer into the model and the optimiser."""
        if self.fresh or self.stale_basis or self.w is None:
            return
        self.weight.data[...] = self._combine(self.w)
        if self.buf is not None:
            self.optimizer.state.setdefault(self.weight, {})["momentum_buffer"] = self._combine(self.buf)
        self.fresh = True
        self.stale_basis = True  # whoever looked may change them: restart from the arrays

    def finish(self) -> None:
        """Materialise, and leave W's grad and the layer's cache as the normal path would."""
        self.sync()
        if self.G is not None:
            np.matmul(self.G.T, self.x, out=self.weight.grad_buffer())
            self.layer._cache = self.x

    def all_finite(self) -> bool:
        """Whether every weight is finite, without materialising W (its coefficients and basis)."""
        if self.stale_basis:  # the model's arrays are current
            arrays = [p.data for p in self.model.parameters()]
        elif not self.basis_finite:
            return False
        else:
            arrays = [*(self.w or ()), *(self.buf or ()), *(p.data for p in self.others)]
        return all(bool(np.all(np.isfinite(a))) for a in arrays)
