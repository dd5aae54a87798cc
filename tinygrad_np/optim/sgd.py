"""SGD with momentum, dampening, weight decay and Nesterov, as torch.optim.SGD defines them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np

from ..nn.parameter import Parameter
from ..validation import check_finite_float, fail
from .optimizer import Optimizer, sub_scaled_


class SGD(Optimizer):
    """For each parameter p with gradient g:

    g = g + weight_decay * p
    if momentum:  buf = g (first step), else buf = momentum * buf + (1 - dampening) * g
                  g = g + momentum * buf if nesterov else buf
    p = p - lr * g

    State per Parameter object: "momentum_buffer" (p's shape), once momentum is used.
    """

    _STATE: ClassVar[dict[str, str]] = {"momentum_buffer": "param"}

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
        h = {"momentum": momentum, "dampening": dampening, "weight_decay": weight_decay, "nesterov": nesterov}
        c = self._checked("SGD", "", h)
        self.momentum: float = c["momentum"]
        self.dampening: float = c["dampening"]
        self.weight_decay: float = c["weight_decay"]
        self.nesterov: bool = c["nesterov"]

    def _checked(self, who: str, prefix: str, h: dict[str, Any]) -> dict[str, Any]:
        out = super()._checked(who, prefix, h)
        for k in ("momentum", "weight_decay"):
            out[k] = check_finite_float(who, prefix + k, h[k], minimum=0.0)
        out["dampening"] = check_finite_float(
            who, prefix + "dampening", h["dampening"], minimum=0.0, maximum=1.0
        )
        if not isinstance(h["nesterov"], bool | np.bool_):
            raise fail(who, prefix + "nesterov", "be a bool", h["nesterov"], error=TypeError)
        out["nesterov"] = bool(h["nesterov"])
        if out["nesterov"] and (out["momentum"] <= 0 or out["dampening"] != 0):
            raise fail(
                who,
                prefix + "nesterov",
                "come with momentum > 0 and dampening = 0",
                f"momentum {out['momentum']}, dampening {out['dampening']}",
            )
        return out

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
