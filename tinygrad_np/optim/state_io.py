"""An optimiser's state as flat arrays and back, all-or-nothing (Optimizer.state_dict/load_state_dict).

Layout (PyTorch's, flattened, so a checkpoint .npz needs no pickle):

    type                    the optimiser's class name
    n_params                the number of parameters, all groups together
    hparams/<name>          each hyper-parameter, when there is one parameter group (the layout of
                            checkpoints written before groups existed, so they still load)
    groups/<g>/<name>       with several groups: group g's hyper-parameters,
    groups/<g>/n_params     and its number of parameters
    state/<i>/<name>        per-parameter state; i numbers the parameters group after group
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..nn.parameter import Parameter
from ..serialization import split
from ..validation import fail

__all__ = ["load_optimizer_state", "optimizer_state"]

_STATE_KEY = re.compile(r"(0|[1-9][0-9]*)/([A-Za-z_][A-Za-z0-9_]*)")


def _prefix(g: int, n_groups: int) -> str:
    return "hparams/" if n_groups == 1 else f"groups/{g}/"


def optimizer_state(opt: Any) -> dict[str, np.ndarray]:
    """``opt.state_dict()``: copies, in the layout above."""
    out: dict[str, np.ndarray] = {"type": np.array(type(opt).__name__), "n_params": np.array(len(opt.params))}
    groups = opt.param_groups
    for g, group in enumerate(groups):
        prefix = _prefix(g, len(groups))
        if len(groups) > 1:
            out[prefix + "n_params"] = np.array(len(group["params"]))
        out |= {prefix + k: np.array(v) for k, v in group.items() if k != "params"}
    for i, p in enumerate(opt.params):
        for name, value in opt.state.get(p, {}).items():
            out[f"state/{i}/{name}"] = np.array(value, copy=True)
    return out


def load_optimizer_state(opt: Any, state: Mapping[str, Any]) -> None:
    """``opt.load_state_dict(state)``: every key checked before anything changes."""
    who = f"{type(opt).__name__}.load_state_dict"
    if not isinstance(state, Mapping):
        raise fail(
            who, "state", "be a dict of arrays (from state_dict())", type(state).__name__, error=TypeError
        )
    saved_type = np.asarray(state.get("type", "?"))
    if saved_type.shape != () or str(saved_type) != type(opt).__name__:
        raise fail(
            who, "'type'", f"be {type(opt).__name__!r}", f"{saved_type} (the state is for a {saved_type})"
        )
    _check_count(
        who, "'n_params'", state.get("n_params", -1), len(opt.params), "this optimiser's parameter count"
    )
    groups = opt.param_groups
    saved_groups = {k.split("/")[1] for k in state if k.startswith("groups/")} or {"0"}
    flat = any(k.startswith("hparams/") for k in state)
    if len(saved_groups) != len(groups) or (len(groups) > 1 and flat):
        raise fail(who, "the state's parameter groups", f"be {len(groups)}, as this optimiser's",
                   f"{len(saved_groups)} (groups {sorted(saved_groups)})")  # fmt: skip
    known = ("hparams/", "groups/", "state/")
    extra = [k for k in state if k not in ("type", "n_params") and not k.startswith(known)]
    if extra:
        raise fail(who, "the state", "have no other keys", f"unexpected keys {extra}", error=KeyError)
    values = [_group_values(opt, who, g, group, state) for g, group in enumerate(groups)]
    new_state = _checked_state(opt, who, split(state, "state"))
    for group, settings in zip(groups, values, strict=True):
        for k, v in settings.items():
            group.store(k, v)
    opt.state = new_state


def _group_values(opt: Any, who: str, g: int, group: Any, state: Mapping[str, Any]) -> dict[str, Any]:
    """Group ``g``'s saved hyper-parameters, checked and converted to the types of the current ones."""
    prefix = _prefix(g, len(opt.param_groups))
    saved = split(state, prefix.rstrip("/"))
    checks = opt.setting_checks()
    if len(opt.param_groups) > 1:
        what = f"'{prefix}n_params'"
        _check_count(
            who, what, saved.pop("n_params", -1), len(group["params"]), f"group {g}'s parameter count"
        )
    if set(saved) != set(checks):
        rule = f"be {sorted(checks)}"
        raise fail(who, "the state's hyper-parameters", rule, sorted(saved), error=KeyError)
    values = {k: checks[k](who, prefix + k, _setting(who, prefix + k, saved[k], group[k])) for k in checks}
    opt.check_group(who, lambda k: prefix + k, values)
    return values


def _check_count(who: str, what: str, value: Any, wanted: int, meaning: str) -> None:
    n = np.asarray(value)
    if n.shape != () or n.dtype.kind not in "iu" or int(n) != wanted:
        raise fail(who, what, f"be {wanted}, {meaning}", f"{n} (the state is for {n} parameters)")


def _setting(who: str, key: str, value: Any, current: Any) -> Any:
    """A saved setting as the Python type of ``current`` (bool, int, float or a tuple of floats)."""
    a = np.asarray(value)
    if isinstance(current, tuple):
        if a.shape != (len(current),) or a.dtype.kind not in "iuf":
            raise fail(who, repr(key), f"be {len(current)} real numbers", repr(a), error=TypeError)
        return tuple(float(v) for v in a)
    if a.shape != ():
        raise fail(who, repr(key), "be a single value", f"shape {a.shape}", error=TypeError)
    if isinstance(current, bool):
        if a.dtype.kind != "b":
            raise fail(who, repr(key), "be a bool", repr(a), error=TypeError)
        return bool(a)
    if a.dtype.kind not in "iuf":
        raise fail(who, repr(key), "be a real number", repr(a), error=TypeError)
    return type(current)(a)


def _checked_state(opt: Any, who: str, saved: Mapping[str, Any]) -> dict[Parameter, dict[str, Any]]:
    """The per-parameter state ``{"<i>/<name>": array}`` checked against ``_STATE`` and the params."""
    params, kinds = opt.params, opt._STATE
    by_index: dict[int, dict[str, Any]] = {}
    for key, value in saved.items():
        match = _STATE_KEY.fullmatch(key)
        if match is None or int(match[1]) >= len(params) or match[2] not in kinds:
            rule = f"look like 'state/<i>/<name>' with i < {len(params)} and name in {sorted(kinds)}"
            raise fail(who, "state keys", rule, f"'state/{key}'", error=KeyError)
        i, item = int(match[1]), match[2]
        by_index.setdefault(i, {})[item] = _state_value(who, f"state/{key}", value, kinds[item], params[i])
    for i, items in by_index.items():
        if set(items) != set(kinds):
            raise fail(who, f"state/{i}", f"have all of {sorted(kinds)}", sorted(items), error=KeyError)
    return {params[i]: items for i, items in by_index.items()}


def _state_value(who: str, key: str, value: Any, kind: str, p: Parameter) -> np.ndarray:
    """One saved state array checked against its ``kind`` and parameter ``p``, as a copy."""
    a = np.asarray(value)
    if kind == "count":
        if a.shape != () or a.dtype.kind not in "iu" or int(a) < 0:
            raise fail(who, repr(key), "be an integer >= 0 (0-d)", repr(a))
        return np.array(a, dtype=np.int64)
    if a.dtype.kind not in "biuf":
        raise fail(who, repr(key), "hold real numbers", f"dtype {a.dtype}", error=TypeError)
    if a.shape != p.shape:
        raise fail(who, repr(key), f"have the parameter's shape {p.shape}", f"shape {a.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = a.astype(p.data.dtype, copy=True)
    if not np.all(np.isfinite(out)):
        raise fail(who, repr(key), f"be finite in {p.data.dtype}", "NaN, inf or values too large")
    if kind == "nonneg" and np.any(out < 0):
        raise fail(who, repr(key), "be >= 0", "negative values")
    return out
