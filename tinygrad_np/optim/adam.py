"""Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW define them (without amsgrad)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..nn.parameter import Parameter
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam with bias correction. For each parameter p with gradient g, at step t = 1, 2, ...:

        g = g + weight_decay * p                      (L2 penalty added to the gradient)
        m = beta1 * m + (1 - beta1) * g               state "exp_avg"
        v = beta2 * v + (1 - beta2) * g**2            state "exp_avg_sq"
        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    State per Parameter object: "step" (0-d int64), "exp_avg" and "exp_avg_sq" (p's shape).
    """

    _decoupled = False  # AdamW: decay p directly instead of adding weight_decay * p to g

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        beta1, beta2 = betas
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"{name}: betas must lie in [0, 1), got {betas}")
        if not eps >= 0 or not weight_decay >= 0:
            raise ValueError(f"{name}: eps and weight_decay must be >= 0, got {eps}, {weight_decay}")
        self.betas = (float(beta1), float(beta2))
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)

    def step(self) -> None:
        beta1, beta2 = self.betas
        for p, g in self._grads():
            if self.weight_decay and not self._decoupled:
                g = g + self.weight_decay * p.data
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {
                    "step": np.array(0, dtype=np.int64),
                    "exp_avg": np.zeros_like(p.data),
                    "exp_avg_sq": np.zeros_like(p.data),
                }
            state["step"] += 1
            t = int(state["step"])
            if self.weight_decay and self._decoupled:
                p.data *= 1 - self.lr * self.weight_decay  # in place: layers hold p.data
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * (g * g)
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            p.data -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
            f"weight_decay={self.weight_decay})"
        )


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): before the Adam step,

        p = p - lr * weight_decay * p

    and the gradient is left alone, so the decay does not pass through m and v. PyTorch's default
    weight_decay for AdamW is 1e-2, kept here.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
