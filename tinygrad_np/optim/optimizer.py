"""Optimizer: the base class. State is kept per Parameter object, never by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..nn.parameter import Parameter
from ..serialization import split

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
    """Holds the parameters to update, the learning rate ``lr`` (schedules change it) and ``state``,
    a dict keyed by the Parameter objects themselves."""

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        self.params: list[Parameter] = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{type(self).__name__}: item {i} is a {type(p).__name__}, not a Parameter "
                    "(pass model.parameters())"
                )
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{type(self).__name__}: a parameter appears more than once")
        if not lr >= 0:
            raise ValueError(f"{type(self).__name__}: lr must be >= 0, got {lr}")
        self.lr = float(lr)
        self.state: dict[Parameter, dict[str, Any]] = {}

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every parameter's grad to None (backward overwrites it anyway)."""
        for p in self.params:
            p.grad = None

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

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what ``state_dict`` saved into this optimiser (same type, same parameter list in
        the same order). All-or-nothing: a mismatch raises and leaves the optimiser unchanged."""
        name = type(self).__name__
        saved_type = str(state.get("type", "?"))
        if saved_type != name:
            raise ValueError(f"{name}.load_state_dict: the state is for a {saved_type}")
        if "n_params" not in state or int(state["n_params"]) != len(self.params):
            raise ValueError(
                f"{name}.load_state_dict: the state is for {state.get('n_params', '?')} "
                f"parameters, this optimiser has {len(self.params)}"
            )
        hparams = self._hparams()
        saved_h = split(state, "hparams")
        if set(saved_h) != set(hparams):
            raise KeyError(
                f"{name}.load_state_dict: hyper-parameters {sorted(saved_h)} in the state, "
                f"{sorted(hparams)} expected"
            )
        new_state: dict[Parameter, dict[str, Any]] = {}
        for key, value in split(state, "state").items():
            index, item = key.split("/", 1)
            p = self.params[int(index)]
            value = np.array(value, copy=True)
            if value.ndim and value.shape != p.shape:
                raise ValueError(
                    f"{name}.load_state_dict: state/{key} has shape {value.shape}, "
                    f"parameter {index} has {p.shape}"
                )
            new_state.setdefault(p, {})[item] = value
        for k, current in hparams.items():
            v = saved_h[k]
            setattr(self, k, tuple(v.tolist()) if isinstance(current, tuple) else type(current)(v))
        self.state = new_state

    def _hparams(self) -> dict[str, Any]:
        """The optimiser's scalar settings: public attributes that are numbers, bools or tuples."""
        return {
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
