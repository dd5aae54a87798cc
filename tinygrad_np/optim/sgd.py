"""SGD with momentum, dampening, weight decay and Nesterov, as torch.optim.SGD defines them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..nn.parameter import Parameter
from ..validation import fail
from .groups import GroupSetting, fraction, nonnegative
from .optimizer import Optimizer, sub_scaled_


def _bool(who: str, what: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise fail(who, what, "be a bool", value, error=TypeError)
    return bool(value)


class SGD(Optimizer):
    """For each parameter p with gradient g (each group with its own settings):

    g = g + weight_decay * p
    if momentum:  buf = g (first step), else buf = momentum * buf + (1 - dampening) * g
                  g = g + momentum * buf if nesterov else buf
    p = p - lr * g

    momentum and dampening lie in [0, 1], weight_decay >= 0; nesterov needs momentum > 0 and no
    dampening. State per Parameter object: "momentum_buffer" (p's shape), once momentum is used; read
    and write it with ``momentum_buffer(p)`` and ``set_momentum_buffer(p, buf)``.
    """

    momentum: GroupSetting[float] = GroupSetting(fraction)
    dampening: GroupSetting[float] = GroupSetting(fraction)
    weight_decay: GroupSetting[float] = GroupSetting(nonnegative)
    nesterov: GroupSetting[bool] = GroupSetting(_bool)
    _STATE: ClassVar[dict[str, str]] = {"momentum_buffer": "param"}

    def __init__(
        self,
        params: Iterable[Parameter] | Iterable[Mapping[str, Any]],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(
            params, lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov
        )

    def check_group(self, who: str, name: Callable[[str], str], settings: Mapping[str, Any]) -> None:
        if settings["nesterov"] and (settings["momentum"] <= 0 or settings["dampening"] != 0):
            got = f"momentum {settings['momentum']}, dampening {settings['dampening']}"
            raise fail(who, name("nesterov"), "come with momentum > 0 and dampening = 0", got)

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
        for group in self.param_groups:
            self._step_group(group)

    def _step_group(self, group: Mapping[str, Any]) -> None:
        lr, wd, mu = group["lr"], group["weight_decay"], group["momentum"]
        if not (wd or mu):  # plain gradient descent: one fused update per parameter
            for p in group["params"]:
                if p.grad is not None:
                    sub_scaled_(p.data, p.grad, lr)  # in place, so references to p.data stay valid
            return
        dampening, nesterov = group["dampening"], group["nesterov"]
        for p, g in self._grads(group):
            if wd:
                g = g + wd * p.data
            if mu:
                state = self.state.setdefault(p, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = np.array(g, copy=True)
                else:
                    buf *= mu
                    buf += (1 - dampening) * g
                g = g + mu * buf if nesterov else buf
            sub_scaled_(p.data, g, lr)
