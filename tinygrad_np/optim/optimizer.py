"""Optimizer: the base class. State is kept per Parameter object, never by name."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..nn.parameter import Parameter
from ..validation import fail
from .groups import GroupSetting, ParamGroup, nonnegative
from .state_io import load_optimizer_state, optimizer_state

# NumPy has no fused "p -= a * g" (BLAS axpy): written as one expression it makes a weight-sized
# temporary, then reads it back. Going through the weights in blocks keeps that temporary in cache.
_BLOCK = 1 << 16  # elements: 512 KiB of float64


def sub_scaled_(p: np.ndarray, g: np.ndarray, alpha: float) -> None:
    """In place: p -= alpha * g (same shape)."""
    if p.size <= _BLOCK or not (p.flags.c_contiguous and g.flags.c_contiguous):
        p -= alpha * g
        return
    pf, gf = p.reshape(-1), g.reshape(-1)
    tmp = np.empty(_BLOCK, dtype=np.result_type(g.dtype, p.dtype))
    for start in range(0, pf.size, _BLOCK):
        stop = min(start + _BLOCK, pf.size)
        pf[start:stop] -= np.multiply(gf[start:stop], alpha, out=tmp[: stop - start])


class Optimizer:
    """Holds the parameters to update in ``param_groups`` (PyTorch's form), their hyper-parameters and
    ``state``, a dict keyed by the Parameter objects themselves.

    ``params`` is ``model.parameters()`` (one group) or a list of dicts, one per group, each with
    ``"params"`` and any hyper-parameters that differ from the constructor's (PyTorch's form)::

        tnp.AdamW([{"params": matrices, "weight_decay": 0.1},
                   {"params": vectors, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))

    Every hyper-parameter is checked whenever it is set: in the constructor, ``opt.lr = x`` (sets every
    group), ``opt.param_groups[i]["lr"] = x`` and ``load_state_dict``. ``opt.lr`` (and ``opt.momentum``...)
    reads the value all groups share, and raises, naming the values, when the groups differ. A subclass
    names its hyper-parameters as :class:`GroupSetting` class attributes (each with its check), checks
    rules between them in ``check_group``, and lists its per-parameter state in ``_STATE``: name ->
    "param" (an array shaped like the parameter), "nonneg" (the same, >= 0) or "count" (a 0-d int >= 0).
    """

    lr: GroupSetting[float] = GroupSetting(nonnegative)
    _STATE: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Each subclass's ``step`` first bumps the ``_version`` of the parameters it updates (those
        with a gradient), so a graph that saved their old values refuses to backward (function.py)."""
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _counted(cls.__dict__["step"])  # type: ignore[method-assign]

    def __init__(self, params: Iterable[Parameter] | Iterable[Mapping[str, Any]], lr: float,
                 **defaults: Any) -> None:  # fmt: skip
        who = type(self).__name__
        checks = self.setting_checks()
        if set(defaults) | {"lr"} != set(checks):  # a subclass's mistake, not the user's
            rule = f"name the other settings {sorted(set(checks) - {'lr'})}"
            raise fail(who, "the defaults a subclass passes", rule, sorted(defaults), error=TypeError)
        self.defaults: dict[str, Any] = {k: checks[k](who, k, v) for k, v in {"lr": lr, **defaults}.items()}
        self.check_group(who, str, self.defaults)
        self.param_groups: list[ParamGroup] = []
        self.state: dict[Parameter, dict[str, Any]] = {}
        items = list(params)
        if not items:
            raise fail(who, "params", "hold at least one Parameter", "an empty parameter list")
        dicts = [isinstance(item, Mapping) for item in items]
        if all(dicts):
            for group in items:
                self.add_param_group(group)  # type: ignore[arg-type]
        elif any(dicts):
            raise fail(who, "params", "be all Parameters or all parameter-group dicts",
                       "a mix of both", error=TypeError)  # fmt: skip
        else:
            self._add({"params": items}, "params")
        if not self.params:
            raise fail(who, "params", "hold at least one Parameter", "parameter groups without any")

    @classmethod
    def setting_checks(cls) -> dict[str, Callable[[str, str, Any], Any]]:
        """Every hyper-parameter's name and check: the GroupSetting attributes of the class and its bases."""
        return {
            name: attr.check
            for klass in reversed(cls.__mro__)
            for name, attr in vars(klass).items()
            if isinstance(attr, GroupSetting)
        }

    @property
    def params(self) -> list[Parameter]:
        """Every parameter, group after group (a new list)."""
        return [p for group in self.param_groups for p in group["params"]]

    def add_param_group(self, group: Mapping[str, Any]) -> None:
        """Add a group ``{"params": [...], setting: value, ...}``; settings not given take the
        constructor's values. As PyTorch's ``add_param_group``."""
        self._add(group, f"param_groups[{len(self.param_groups)}]['params']")

    def _add(self, group: Mapping[str, Any], params_what: str) -> None:
        who, index = type(self).__name__, len(self.param_groups)
        label = f"param_groups[{index}]"
        if not isinstance(group, Mapping) or "params" not in group:
            raise fail(who, label, "be a dict with a 'params' key", repr(group)[:80], error=TypeError)
        checks = self.setting_checks()
        unknown = sorted(set(group) - {"params"} - set(checks))
        if unknown:
            raise fail(who, f"{label}'s keys", f"be 'params' or settings of {who} {sorted(checks)}",
                       unknown, error=KeyError)  # fmt: skip
        raw = group["params"]
        params = [raw] if isinstance(raw, Parameter) else list(raw)
        seen = {id(p) for p in self.params}
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                got = f"a {type(p).__name__}, not a Parameter"
                raise fail(who, f"{params_what} item {i}", "be a Parameter", got,
                           "pass model.parameters()", TypeError)  # fmt: skip
            if id(p) in seen:
                raise fail(who, "params", "hold each Parameter once", "a parameter twice")
            seen.add(id(p))
        settings = dict(self.defaults)
        for k in group:
            if k != "params":
                settings[k] = checks[k](who, f"{label}[{k!r}]", group[k])
        self.check_group(who, lambda k: f"{label}[{k!r}]", settings)
        self.param_groups.append(ParamGroup(self, index, {"params": tuple(params), **settings}))

    def set_setting(self, groups: list[ParamGroup], key: str, value: Any, what: str) -> None:
        """Check ``value`` for setting ``key`` (``what`` in messages); set it in ``groups``, all or none."""
        who, checks = type(self).__name__, self.setting_checks()
        if key not in checks:
            raise fail(who, what, f"be a setting of {who} {sorted(checks)}", repr(key), error=KeyError)
        value = checks[key](who, what, value)
        flat = what == key and len(self.param_groups) == 1  # opt.<key> = value on one group
        for g in groups:
            self.check_group(who, str if flat else g.name_of, {**g, key: value})
        for g in groups:
            g.store(key, value)

    def check_group(self, who: str, name: Callable[[str], str], settings: Mapping[str, Any]) -> None:
        """Rules between a group's settings (``name(key)`` in messages); a subclass adds its own."""

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        raise NotImplementedError

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients, as PyTorch's: every parameter's grad becomes None, or with
        ``set_to_none=False`` zeros of its shape and dtype (a grad that is None stays None). Needed
        before ``backward(accumulate=True)`` starts a new sum; a plain ``backward()`` overwrites anyway."""
        for p in self.params:
            p.grad = None if set_to_none or p.grad is None else np.zeros_like(p.grad)

    # -- saving and resuming: flat arrays, so a checkpoint .npz needs no pickle (optim/state_io.py) ----
    def state_dict(self) -> dict[str, np.ndarray]:
        """PyTorch's layout, flattened: per-parameter state under ``"state/<i>/<name>"``, ``i`` the
        parameter's index in ``self.params``; the hyper-parameters under ``"hparams/<name>"`` (one
        group) or ``"groups/<g>/<name>"`` with ``"groups/<g>/n_params"`` (several); ``"type"`` and
        ``"n_params"`` to check the match. Copies."""
        return optimizer_state(self)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` saved into this optimiser (same type, same groups of the same
        sizes, same parameter list in the same order). Everything is checked first (settings in range,
        state arrays of the right names, shapes and dtypes, finite); a bad state raises naming the key
        and leaves the optimiser unchanged."""
        load_optimizer_state(self, state)

    def _grads(self, group: Mapping[str, Any]) -> Iterable[tuple[Parameter, np.ndarray]]:
        for p in group["params"]:
            if p.grad is not None:
                yield p, p.grad

    def __repr__(self) -> str:
        name = type(self).__name__
        if len(self.param_groups) == 1:
            settings = ", ".join(f"{k}={v}" for k, v in self.param_groups[0].items() if k != "params")
            return f"{name}({settings}, {len(self.params)} parameters)"
        return f"{name}({len(self.param_groups)} parameter groups: {self.param_groups})"


def _counted(step: Any) -> Any:
    """``step`` that first counts the change it makes: ``p._version += 1`` for each updated parameter."""

    @functools.wraps(step)
    def counted_step(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        for p in self.params:
            if p.grad is not None:
                p._version += 1
        return step(self, *args, **kwargs)

    return counted_step
