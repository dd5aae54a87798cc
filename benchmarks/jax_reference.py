"""The same MLP in JAX (CPU): one jitted training step, a benchmark reference.

Imported only when jax is installed (``pip install -e '.[bench]'``; ``benchmarks.run`` checks first).
float64 needs ``jax_enable_x64``, switched on at import (float32 arrays stay float32). The step is
compiled once, before timing (``lower().compile()``), and that compile time is reported apart; the
weights are donated to the step, so XLA updates them in place as SGD would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

Params = list[tuple[jax.Array, jax.Array]]


def _loss(params: Params, x: jax.Array, y: jax.Array) -> jax.Array:
    """Linear/ReLU/.../Linear/Sigmoid, then the mean binary cross-entropy on the probabilities."""
    h = x
    for i, (w, b) in enumerate(params):
        h = h @ w.T + b
        h = jax.nn.relu(h) if i < len(params) - 1 else jax.nn.sigmoid(h)
    return -jnp.mean(y * jnp.log(h) + (1 - y) * jnp.log1p(-h))


def _make_step(lr: float) -> Callable[..., tuple[Params, jax.Array]]:
    def step(params: Params, x: jax.Array, y: jax.Array) -> tuple[Params, jax.Array]:
        loss, grads = jax.value_and_grad(_loss)(params, x, y)
        new = [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(params, grads, strict=True)]
        return new, loss

    return jax.jit(step, donate_argnums=0)


class JaxModel:
    """``step(x, y) -> loss`` (a float, so the step has finished); ``compile_seconds`` is the time
    the first compilation took (not part of any step)."""

    def __init__(self, weights: Sequence[tuple[np.ndarray, np.ndarray]], lr: float, x: np.ndarray) -> None:
        self.params: Params = [(jnp.asarray(w), jnp.asarray(b).reshape(-1)) for w, b in weights]
        y_shape = jax.ShapeDtypeStruct((x.shape[0], 1), x.dtype)
        t0 = time.perf_counter()
        self._step = _make_step(lr).lower(self.params, jnp.asarray(x), y_shape).compile()
        self.compile_seconds = time.perf_counter() - t0

    @staticmethod
    def array(a: np.ndarray) -> jax.Array:
        return jnp.asarray(a)

    def step(self, x: jax.Array, y: jax.Array) -> float:
        self.params, loss = self._step(self.params, x, y)
        return float(loss)
