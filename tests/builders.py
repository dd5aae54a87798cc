"""Small models, data and state edits shared by the tests (one copy of each builder)."""

from __future__ import annotations

import numpy as np

import tinygrad_np as tnp


def tiny_model(seed: int = 0, hidden: int = 3, n_in: int = 4) -> tnp.Sequential:
    """n_in → hidden → 1: Linear, Tanh, Linear, Sigmoid (float64), weights drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return tnp.Sequential(
        tnp.Linear(n_in, hidden, rng=rng), tnp.Tanh(), tnp.Linear(hidden, 1, rng=rng), tnp.Sigmoid()
    )


def tiny_data(m: int = 12, n_in: int = 4, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """x (m, n_in) standard normal, y (m, 1) random 0/1 labels."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, n_in)), (rng.random((m, 1)) < 0.5).astype(np.float64)


def with_changes(state: dict, **changes: object) -> dict:
    """A copy of ``state`` with keys changed (``a__b`` names key "a/b"); a value None removes the key."""
    out = dict(state)
    for k, v in changes.items():
        key = k.replace("__", "/")
        if v is None:
            out.pop(key)
        else:
            out[key] = v
    return out


def small_binary_data(m: int = 90, n: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x (m, n) standard normal, y (m,) = 1 where x0 - x1/2 + noise > 0: a learnable binary task."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((m, n))
    y = (x[:, 0] - 0.5 * x[:, 1] + 0.3 * rng.standard_normal(m) > 0).astype(np.float64)
    return x, y


def small_mlp(seed: int = 0, dropout: bool = True, sigmoid: bool = True) -> tnp.Sequential:
    """6 → 8 → 1: Linear, ReLU, [Dropout(0.3)], Linear, [Sigmoid], weights drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    layers: list[tnp.Module] = [tnp.Linear(6, 8, rng=rng), tnp.ReLU()]
    if dropout:
        layers.append(tnp.Dropout(0.3, rng=np.random.default_rng(seed + 100)))
    layers.append(tnp.Linear(8, 1, rng=rng))
    if sigmoid:
        layers.append(tnp.Sigmoid())
    return tnp.Sequential(*layers)
