"""Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW define them (without amsgrad)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from ..nn.parameter import Parameter
from ..validation import check_finite_float, fail
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

    _STATE: ClassVar[dict[str, str]] = {"step": "count", "exp_avg": "param", "exp_avg_sq": "nonneg"}
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
        h = {"betas": betas, "eps": eps, "weight_decay": weight_decay}
        c = self._checked(type(self).__name__, "", h)
        self.betas: tuple[float, float] = c["betas"]
        self.eps: float = c["eps"]
        self.weight_decay: float = c["weight_decay"]

    def _checked(self, who: str, prefix: str, h: dict[str, Any]) -> dict[str, Any]:
        out = super()._checked(who, prefix, h)
        betas = h["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise fail(who, prefix + "betas", "be a pair (beta1, beta2)", betas, error=TypeError)
        out["betas"] = tuple(
            check_finite_float(who, f"{prefix}betas[{i}]", b, minimum=0.0, maximum=1.0, open_max=True)
            for i, b in enumerate(betas)
        )
        for k in ("eps", "weight_decay"):
            out[k] = check_finite_float(who, prefix + k, h[k], minimum=0.0)
        return out

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
