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

    State per Parameter object: "momentum_buffer" (p's shape), once momentum is used; read and write
    it with ``momentum_buffer(p)`` and ``set_momentum_buffer(p, buf)``.
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

    def momentum_buffer(self, p: Parameter) -> np.ndarray | None:
        """``p``'s momentum buffer: the array itself (``step()`` updates it in place), or None before
        the first step with momentum (and without momentum)."""
        buf: np.ndarray | None = self.state.get(self._own(p, "momentum_buffer"), {}).get("momentum_buffer")
        return buf

    def set_momentum_buffer(self, p: Parameter, buf: np.ndarray | None) -> None:
        """Make ``buf`` (p's shape; stored as a copy in p's dtype) p's momentum buffer, so the
        next ``step()`` continues from it; None forgets it (the next step starts a new one)."""
        self._own(p, "set_momentum_buffer")
        if buf is None:
            self.state.get(p, {}).pop("momentum_buffer", None)
            return
        a = np.asarray(buf)
        if a.shape != p.shape:
            raise fail(
                "SGD.set_momentum_buffer", "buf", f"have the parameter's shape {p.shape}", f"shape {a.shape}"
            )
        if a.dtype.kind not in "iuf":
            raise fail(
                "SGD.set_momentum_buffer", "buf", "hold real numbers", f"dtype {a.dtype}", error=TypeError
            )
        self.state.setdefault(p, {})["momentum_buffer"] = np.array(a, dtype=p.data.dtype, copy=True)

    def _own(self, p: Parameter, who: str) -> Parameter:
        if not any(q is p for q in self.params):
            raise fail(f"SGD.{who}", "p", "be one of this optimiser's parameters", repr(p))
        return p

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
