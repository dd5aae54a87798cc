"""The full-batch fast path, on request (``fit(..., fast_path=True)``): the first Linear trained in
sample space.

With the same inputs ``x`` (m, n) at every step and SGD, every update of the first layer's weight W
(out, n) is a combination of W's starting value and the rows of x (``dL/dW = Gᵀ x``, ``G = dL/dZ``).
So W, and SGD's momentum buffer, stay of the form

    W(t) = Σ_k c_k(t) F_k + A(t) x        F_k: W (and the momentum buffer) when training started,
                                            c: a few scalars, A: (out, m)

and the first layer's output needs no product with x at all:

    Z(t) = x W(t)ᵀ + b = Σ_k c_k(t) P_k + K A(t)ᵀ + b,    P_k = x F_kᵀ,  K = x xᵀ (m, m), once.

Per step this costs m·m·out multiply-adds instead of 2·m·n·out (x Wᵀ and Gᵀ x): for the course's cat
model (m = 209, n = 12288) about 120 times fewer. Validation uses ``x_val xᵀ``, computed once.

**SGD's update, not a copy of it.** (c, A) -> W is linear, and so is SGD's update (weight decay,
momentum, dampening, Nesterov, each step's lr). So SGD.step itself, run on two Parameters holding c and
A with gradients (0, Gᵀ) and the optimiser's settings, is W's step written in coefficients, and its
momentum buffers are W's (tests/train/test_fastpath_rules.py checks it against SGD.step on W).

**The same arithmetic up to rounding**, summed in another order: in float64 about 1e-15 per step (the
course's published costs still match to 1e-9 after 2500 iterations). A run that oscillates amplifies
rounding differences, the default path's own included: on the 259 course pictures saved as PNG / JPEG,
``--layers 12288,12,4,1``, lr 0.075, both paths part from a NumPy transcription of the notebook by more
than 1e-12 at iteration 403 / 412 (seed 1) or both at 1347 (``--init-scale 0.01 --seed 3``), by 1e-6
some 150 iterations later; before that, this path's differences are about ten times the default's.
The sample-space arrays are float64 in any dtype; in
float32, with ReLU, a pre-activation within rounding of 0 can fall on either side of the kink, after
which the runs part as float32 runs of any two libraries may.

**Nothing can look at W while it is in sample space.** fit() takes this path only when asked and only
without callbacks (a checkpoint is one), so a callback always sees the real weights and needs no flag.
fit() is the only caller: ``with FirstLayerInSampleSpace(...) as (model, optimizer)`` gives stand-ins
that fit's loop runs unchanged (``model(x)``, ``backward_from``, ``step()``, ``parameters()`` for the
divergence check); on leaving, however training ended (Ctrl-C, divergence, the last epoch), W, its
momentum buffer and its last gradient are written into the real model and optimiser.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.engine import set_grad
from ..nn.container import Sequential
from ..nn.linear import Linear
from ..nn.losses import Loss
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..optim.optimizer import Optimizer
from ..optim.sgd import SGD
from .fastpath_rules import MAX_SAMPLES_PER_INPUT, check_applies

__all__ = ["MAX_SAMPLES_PER_INPUT", "FirstLayerInSampleSpace", "check_applies"]

# OpenBLAS runs a product on several threads when m*n*k > 262144; waking them costs milliseconds on a
# busy machine, far more than the product. K Aᵀ is computed in row blocks below that size.
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


def _add_scaled(out: np.ndarray, c: np.ndarray, arrays: list[np.ndarray]) -> np.ndarray:
    """out += Σ c_k arrays_k, in place (skipping zero coefficients); returns out."""
    for ck, a in zip(c, arrays, strict=True):
        if ck != 0:
            out += a if ck == 1 else ck * a
    return out


def _rows_of(a: np.ndarray, base: np.ndarray) -> slice | None:
    """The rows ``start:stop`` when ``a`` is the view ``base[start:stop]``, else None."""
    if a is base:
        return slice(0, len(base))
    step = base.strides[0] if base.ndim == 2 else 0
    if a.ndim != 2 or a.shape[1:] != base.shape[1:] or a.strides != base.strides or step <= 0:
        return None
    start, rem = divmod(a.__array_interface__["data"][0] - base.__array_interface__["data"][0], step)
    if rem or start < 0 or start + len(a) > len(base):
        return None
    return slice(start, start + len(a))


class FirstLayerInSampleSpace:
    """``with FirstLayerInSampleSpace(model, optimizer, x, x_val, ...) as (model, optimizer):`` trains
    ``model.layers[0]`` in sample space over the fixed batch ``x`` while fit's loop runs the stand-ins;
    on exit the model and optimiser hold the trained W, its momentum buffer and gradient. The
    constructor only checks (``check_applies``); entering starts from the model's arrays as they are."""

    def __init__(self, model: Any, optimizer: Any, x: np.ndarray, x_val: np.ndarray | None, *,
                 full_batch: bool, callbacks: Sequence[object]) -> None:  # fmt: skip
        check_applies(model, optimizer, x, x_val, full_batch=full_batch, callbacks=callbacks)
        self.model: Sequential = model
        self.optimizer: SGD = optimizer
        self.x, self.x_val = x, x_val
        self.layer: Linear = model.layers[0]
        self.weight = self.layer.weight
        self.rest = Sequential(*model.layers[1:])  # shares the layers
        self.others = [p for p in model.parameters() if p is not self.weight]
        self.trained = [p for p in optimizer.params if p is not self.weight]

    # -- set-up and write-back --------------------------------------------------------------------
    def __enter__(self) -> tuple[Module, Optimizer]:
        """Start from the model's current W (and momentum buffer): F, K, P, unit coefficients."""
        x, w, opt = self.x, self.weight, self.optimizer
        buf = opt.momentum_buffer(w)
        # float64 whatever the model's dtype: K sums n products of often all-positive inputs (pixels)
        # and K Aᵀ cancels much of it, so float32 would lose digits. Z is rounded to the model's dtype.
        self.F = [np.array(w.data, copy=True)] + ([np.array(buf, copy=True)] if buf is not None else [])
        self.K = _products64(x, x)  # (m, m), once
        self.P = [_products64(x, f) for f in self.F]  # (m, out) each
        v = self.x_val
        self.K_val = _products64(v, x) if v is not None else None
        self.P_val = [_products64(v, f) for f in self.F] if v is not None else []
        k, shape = len(self.F), (w.shape[0], len(x))
        self.c, self.a = Parameter(np.eye(k)[0].copy()), Parameter(np.zeros(shape))
        self.coef = SGD([self.c, self.a], lr=opt.lr)  # its settings are copied from opt at each step
        if buf is not None:  # the buffer is F_1: coefficients (0, 1, ...) and A = 0
            self.coef.set_momentum_buffer(self.c, np.eye(k)[1])
            self.coef.set_momentum_buffer(self.a, np.zeros(shape))
        self.rows = max(1, _SINGLE_THREAD_MNK // (len(x) * w.shape[0]))  # see _pre_activation()
        self.G: np.ndarray | None = None
        self.grad_before, w.grad = w.grad, None  # the optimiser's step() skips W: its grad is None
        return _Model(self), _Optimizer(self)

    def __exit__(self, *exc: object) -> None:
        """Write W, its momentum buffer and the last step's gradient into the model and optimiser."""
        w = self.weight
        w.data[...] = self._combine(self.c.data, self.a.data)
        w._version += 1  # an in-place change, as an optimiser step (autograd/function.py)
        bc, ba = self.coef.momentum_buffer(self.c), self.coef.momentum_buffer(self.a)
        if bc is not None and ba is not None:
            self.optimizer.set_momentum_buffer(w, self._combine(bc, ba))
        if self.G is None:  # no step was taken
            w.grad = self.grad_before
        else:
            set_grad(w, self.G.T @ self.x)
        self.layer._cache = None  # its last forward ran in sample space: backward needs a new one

    def _combine(self, c: np.ndarray, a: np.ndarray) -> np.ndarray:
        """Σ c_k F_k + A x, a new (out, n) array of the model's dtype."""
        return _add_scaled(_times64(a, self.x), c, self.F).astype(self.weight.data.dtype, copy=False)

    # -- one step ---------------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        """The model's output on x: rows of the training inputs or of the validation inputs come from
        their products with x and the F_k, computed once; other inputs (fit passes none) are multiplied."""
        rows = _rows_of(x, self.x)
        if rows is not None:
            gram, cross = self.K[rows], [p[rows] for p in self.P]
        elif self.x_val is not None and (rows := _rows_of(x, self.x_val)) is not None:
            assert self.K_val is not None
            gram, cross = self.K_val[rows], [p[rows] for p in self.P_val]
        else:
            gram, cross = _products64(x, self.x), [_products64(x, f) for f in self.F]
        return self.rest(self._pre_activation(gram, cross))

    def _pre_activation(self, gram: np.ndarray, cross: list[np.ndarray]) -> np.ndarray:
        """Σ c_k cross_k + gram Aᵀ + b: the first layer's output on the inputs whose products with x are
        ``gram`` (rows, m) and with the F_k are ``cross`` (rows, out)."""
        c, a = self.c.data, self.a.data
        z = np.empty((len(gram), a.shape[0]))
        for r in range(0, len(z), self.rows):
            np.matmul(gram[r : r + self.rows], a.T, out=z[r : r + self.rows])
        _add_scaled(z, c, cross)
        if self.layer.bias is not None:
            z += self.layer.bias.data
        return z.astype(self.weight.data.dtype, copy=False)

    def backward(self, loss_fn: Loss) -> None:
        """G = dL/dZ through the other layers (their grads set as usual); the bias gradient; Gᵀ as the
        gradient of A (c's is 0: the F_k do not depend on the loss)."""
        g = self.rest.backward_from(loss_fn, input_grad=True)
        assert g is not None and len(g) == len(self.x), "backward after a forward on the training x"
        self.G = g
        if self.layer.bias is not None:
            set_grad(self.layer.bias, g.sum(axis=0))
        self.a.grad = g.T.astype(np.float64, copy=False)
        self.c.grad = np.zeros_like(self.c.data)

    def step(self) -> None:
        """The optimiser's step for every parameter but W, then SGD.step on W's coefficients with the
        optimiser's current settings (a schedule may have changed lr)."""
        opt, coef = self.optimizer, self.coef
        opt.step()  # skips W: its grad is None
        for setting in ("lr", "momentum", "dampening", "weight_decay", "nesterov"):
            setattr(coef, setting, getattr(opt, setting))
        coef.step()


class _Model(Module):
    """What fit's loop runs instead of the model while W is in sample space: the same calls."""

    _array_forward = True

    def __init__(self, path: FirstLayerInSampleSpace) -> None:
        super().__init__()
        self.model = path.model  # a child: train() and eval() reach it
        self._path = path

    def forward(self, x: Any) -> Any:
        return self._path.forward(x)

    def backward_from(self, loss_fn: Any, input_grad: bool = False, *, accumulate: bool = False) -> Any:
        self._path.backward(loss_fn)

    def parameters(self) -> list[Parameter]:
        """What the weights are made of: the other parameters and W's coefficients (for the checks)."""
        return [*self._path.others, self._path.c, self._path.a]


class _Optimizer(Optimizer):
    """What fit's loop runs instead of the optimiser: ``step()`` and ``lr`` (the optimiser's own)."""

    def __init__(self, path: FirstLayerInSampleSpace) -> None:
        self._path = path
        super().__init__([*path.trained, path.c, path.a], path.optimizer.lr)

    @property
    def lr(self) -> float:
        return self._path.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._path.optimizer.lr = value

    def step(self) -> None:
        self._path.step()
