"""Optimizer: the base class. State is kept per Parameter object, never by name."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np

from ..nn.parameter import Parameter
from ..serialization import split
from ..validation import check_finite_float, fail

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


_STATE_KEY = re.compile(r"(0|[1-9][0-9]*)/([A-Za-z_][A-Za-z0-9_]*)")


class Optimizer:
    """Holds the parameters to update, the learning rate ``lr`` (schedules change it) and ``state``,
    a dict keyed by the Parameter objects themselves.

    ``lr`` is checked whenever it is set (a finite number >= 0), so ``opt.lr = -1`` raises instead of
    silently climbing the loss. Subclasses check their other settings in ``_checked`` (used by the
    constructor and by ``load_state_dict``) and list their per-parameter state in ``_STATE``:
    name -> "param" (an array shaped like the parameter), "nonneg" (the same, >= 0) or "count"
    (a 0-d integer >= 0).
    """

    _STATE: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Each subclass's ``step`` first bumps the ``_version`` of the parameters it updates (those
        with a gradient), so a graph that saved their old values refuses to backward (function.py)."""
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _counted(cls.__dict__["step"])  # type: ignore[method-assign]

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params: list[Parameter] = list(params)
        if not self.params:
            raise fail(
                type(self).__name__, "params", "hold at least one Parameter", "an empty parameter list"
            )
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                got = f"a {type(p).__name__}, not a Parameter"
                raise fail(type(self).__name__, f"params item {i}", "be a Parameter", got,
                           "pass model.parameters()", TypeError)  # fmt: skip
        if len({id(p) for p in self.params}) != len(self.params):
            raise fail(type(self).__name__, "params", "hold each Parameter once", "a parameter twice")
        self.lr = lr
        self.state: dict[Parameter, dict[str, Any]] = {}

    @property
    def lr(self) -> float:
        """The learning rate: a finite number >= 0 (checked on every assignment)."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_finite_float(type(self).__name__, "lr", value, minimum=0.0)

    def _checked(self, who: str, prefix: str, h: dict[str, Any]) -> dict[str, Any]:
        """The settings ``h`` checked and converted (``prefix`` + name in messages); subclasses extend."""
        out = dict(h)
        if "lr" in h:
            out["lr"] = check_finite_float(who, prefix + "lr", h["lr"], minimum=0.0)
        return out

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        raise NotImplementedError

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients, as PyTorch's: every parameter's grad becomes None, or with
        ``set_to_none=False`` zeros of its shape and dtype (a grad that is None stays None). Needed
        before ``backward(accumulate=True)`` starts a new sum; a plain ``backward()`` overwrites anyway."""
        for p in self.params:
            p.grad = None if set_to_none or p.grad is None else np.zeros_like(p.grad)

    # -- saving and resuming: flat arrays, so a checkpoint .npz needs no pickle -------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """PyTorch's layout, flattened: per-parameter state under ``"state/<i>/<name>"``, ``i`` the
        parameter's index in ``self.params``; scalar hyper-parameters (lr, momentum, betas, ...)
        under ``"hparams/<name>"``; ``"type"`` and ``"n_params"`` to check the match. Copies."""
        out: dict[str, np.ndarray] = {
            "type": np.array(type(self).__name__),
            "n_params": np.array(len(self.params)),
        }
        for name, value in self._hparams().items():
            out[f"hparams/{name}"] = np.array(value)
        for i, p in enumerate(self.params):
            for name, value in self.state.get(p, {}).items():
                out[f"state/{i}/{name}"] = np.array(value, copy=True)
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what ``state_dict`` saved into this optimiser (same type, same parameter list in
        the same order). Everything is checked first (settings in range, state arrays of the right
        names, shapes and dtypes, finite); a bad state raises naming the key and leaves the
        optimiser unchanged."""
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            got = f"a {type(state).__name__}"
            raise fail(who, "state", "be a mapping (a dict, as state_dict() returns)", got, error=TypeError)
        saved_type = np.asarray(state.get("type", "?"))
        if saved_type.shape != () or str(saved_type) != type(self).__name__:
            raise fail(
                who,
                "'type'",
                f"be {type(self).__name__!r}",
                f"{saved_type} (the state is for a {saved_type})",
            )
        n = np.asarray(state.get("n_params", -1))
        if n.shape != () or n.dtype.kind not in "iu" or int(n) != len(self.params):
            raise fail(
                who,
                "'n_params'",
                f"be {len(self.params)}, this optimiser's parameter count",
                f"{n} (the state is for {n} parameters)",
            )
        hparams = self._hparams()
        saved_h = split(state, "hparams")
        if set(saved_h) != set(hparams):
            rule = f"be {sorted(hparams)}"
            raise fail(who, "the state's hyper-parameters", rule, sorted(saved_h), error=KeyError)
        extra = [
            k for k in state if k not in ("type", "n_params") and not k.startswith(("hparams/", "state/"))
        ]
        if extra:
            raise fail(who, "the state", "have no other keys", f"unexpected keys {extra}", error=KeyError)
        values = {k: _setting(who, f"hparams/{k}", saved_h[k], hparams[k]) for k in hparams}
        values = self._checked(who, "hparams/", values)
        new_state = self._checked_state(who, split(state, "state"))
        for k, v in values.items():
            setattr(self, k, v)
        self.state = new_state

    def _checked_state(self, who: str, saved: Mapping[str, Any]) -> dict[Parameter, dict[str, Any]]:
        """The per-parameter state ``{"<i>/<name>": array}`` checked against ``_STATE`` and the params."""
        by_index: dict[int, dict[str, Any]] = {}
        for key, value in saved.items():
            match = _STATE_KEY.fullmatch(key)
            if match is None or int(match[1]) >= len(self.params) or match[2] not in self._STATE:
                raise fail(
                    who,
                    "state keys",
                    f"look like 'state/<i>/<name>' with i < {len(self.params)} and name in "
                    f"{sorted(self._STATE)}",
                    f"'state/{key}'",
                    error=KeyError,
                )
            i, item = int(match[1]), match[2]
            by_index.setdefault(i, {})[item] = _state_value(
                who, f"state/{key}", value, self._STATE[item], self.params[i]
            )
        for i, items in by_index.items():
            if set(items) != set(self._STATE):
                raise fail(
                    who, f"state/{i}", f"have all of {sorted(self._STATE)}", sorted(items), error=KeyError
                )
        return {self.params[i]: items for i, items in by_index.items()}

    def _hparams(self) -> dict[str, Any]:
        """The optimiser's scalar settings: public attributes that are numbers, bools or tuples."""
        return {"lr": self.lr} | {
            k: v
            for k, v in vars(self).items()
            if k not in ("params", "state")
            and not k.startswith("_")
            and isinstance(v, bool | int | float | tuple)
        }

    def _grads(self) -> Iterable[tuple[Parameter, np.ndarray]]:
        for p in self.params:
            if p.grad is not None:
                yield p, p.grad

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} parameters)"


def _counted(step: Any) -> Any:
    """``step`` that first counts the change it makes: ``p._version += 1`` for each updated parameter."""

    @functools.wraps(step)
    def counted_step(self: Optimizer, *args: Any, **kwargs: Any) -> Any:
        for p in self.params:
            if p.grad is not None:
                p._version += 1
        return step(self, *args, **kwargs)

    return counted_step


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
