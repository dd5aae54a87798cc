"""Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW define them (without amsgrad)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..nn.parameter import Parameter
from ..validation import check_finite_float, fail
from .groups import GroupSetting, nonnegative
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


def _betas(who: str, what: str, value: Any) -> tuple[float, float]:
    """A pair (beta1, beta2), each in [0, 1)."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise fail(who, what, "be a pair (beta1, beta2)", value, error=TypeError)
    b1, b2 = (
        check_finite_float(who, f"{what}[{i}]", b, minimum=0.0, maximum=1.0, open_max=True)
        for i, b in enumerate(value)
    )
    return b1, b2


class Adam(Optimizer):
    """Adam with bias correction. For each parameter p with gradient g, at step t = 1, 2, ...
    (each group with its own settings):

        g = g + weight_decay * p                      (L2 penalty added to the gradient)
        m = beta1 * m + (1 - beta1) * g               state "exp_avg"
        v = beta2 * v + (1 - beta2) * g**2            state "exp_avg_sq"
        m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    betas lie in [0, 1), eps and weight_decay >= 0. State per Parameter object: "step" (0-d int64),
    "exp_avg" and "exp_avg_sq" (p's shape).
    """

    betas: GroupSetting[tuple[float, float]] = GroupSetting(_betas)
    eps: GroupSetting[float] = GroupSetting(nonnegative)
    weight_decay: GroupSetting[float] = GroupSetting(nonnegative)
    _STATE: ClassVar[dict[str, str]] = {"step": "count", "exp_avg": "param", "exp_avg_sq": "nonneg"}
    _decoupled = False  # AdamW: decay p directly instead of adding weight_decay * p to g

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def step(self) -> None:
        for group in self.param_groups:
            self._step_group(group)

    def _step_group(self, group: Mapping[str, Any]) -> None:
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for p, g in self._grads(group):
            if wd and not self._decoupled:
                g = g + wd * p.data
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = {
                    "step": np.array(0, dtype=np.int64),
                    "exp_avg": np.zeros_like(p.data),
                    "exp_avg_sq": np.zeros_like(p.data),
                }
            state["step"] += 1
            t = int(state["step"])
            if wd and self._decoupled:
                p.data *= 1 - lr * wd  # in place: layers hold p.data
            m, v = state["exp_avg"], state["exp_avg_sq"]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * (g * g)
            m_hat = m / (1 - beta1**t)
            v_hat = v / (1 - beta2**t)
            p.data -= lr * m_hat / (np.sqrt(v_hat) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): before the Adam step,

        p = p - lr * weight_decay * p

    and the gradient is left alone, so the decay does not pass through m and v. PyTorch's default
    weight_decay for AdamW is 1e-2, kept here.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[Mapping[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
