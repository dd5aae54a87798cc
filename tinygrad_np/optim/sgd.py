"""SGD with momentum, dampening, weight decay and Nesterov, as torch.optim.SGD defines them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..nn.parameter import Parameter
from .optimizer import Optimizer, sub_scaled_


class SGD(Optimizer):
    """For each parameter p with gradient g:

    g = g + weight_decay * p
    if momentum:  buf = g (first step), else buf = momentum * buf + (1 - dampening) * g
                  g = g + momentum * buf if nesterov else buf
    p = p - lr * g
    """

    def __init__(
        self,
        params: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: momentum and weight_decay must be >= 0, got {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")
        self.momentum, self.dampening = float(momentum), float(dampening)
        self.weight_decay, self.nesterov = float(weight_decay), bool(nesterov)

    def step(self) -> None:
        lr, wd, mu = self.lr, self.weight_decay, self.momentum
        if not (wd or mu):  # plain gradient descent: one fused update per parameter
            for p in self.params:
                if p.grad is not None:
                    sub_scaled_(p.data, p.grad, lr)  # in place, so references to p.data stay valid
            return
        for p, g in self._grads():
            if wd:
                g = g + wd * p.data
            if mu:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(g, copy=True)
                else:
                    buf *= mu
                    buf += (1 - self.dampening) * g
                g = g + mu * buf if self.nesterov else buf
            sub_scaled_(p.data, g, lr)

    def __repr__(self) -> str:
        return (
            f"SGD(lr={self.lr}, momentum={self.momentum}, dampening={self.dampening}, "
            f"weight_decay={self.weight_decay}, nesterov={self.nesterov})"
        )
