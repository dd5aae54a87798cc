"""The course's cat / non-cat classifiers as tinygrad_np models (no command line here).

- deep model: [12288 → 20 → 7 → 5 → 1], ReLU hidden layers, Sigmoid output;
- two-layer model: [12288 → 7 → 1], ReLU then Sigmoid.

``init="course"`` draws the weights exactly as the course does (legacy ``np.random.seed(seed)``,
then for each layer in order ``randn(out, in) / sqrt(in)`` for the deep model and
``randn(out, in) * 0.01`` for the two-layer model, biases zero); ``init_scale=S`` gives
``randn(out, in) * S`` for any depth. ``init="he"`` / ``"xavier"`` / ``"normal"`` (``S * randn``, S
default 0.01) draw from ``default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import tinygrad_np as tnp
from tinygrad_np.nn.builders import initialize
from tinygrad_np.nn.init import course_normal, scaled_normal, xavier_normal

DEEP_DIMS = (12288, 20, 7, 5, 1)
TWO_LAYER_DIMS = (12288, 7, 1)
INITS = ("course", "he", "xavier", "normal")


def course_init(model: tnp.Layer, seed: int = 1, scale: str | float = "sqrt_fan_in") -> tnp.Layer:
    """Initialise ``model`` exactly as the course does, and return it.

    ``np.random.seed(seed)`` (a legacy ``RandomState``), then for each Linear in order
    ``W = randn(out, in) / sqrt(in)`` (``scale="sqrt_fan_in"``, the deep L-layer model) or
    ``W = scale * randn(out, in)`` (``scale=0.01``, the two-layer model); biases zero.
    """
    rng = np.random.RandomState(seed)
    if scale == "sqrt_fan_in":
        return initialize(model, course_normal, rng)
    if isinstance(scale, str):
        raise ValueError(f"course_init: scale must be 'sqrt_fan_in' or a number, got {scale!r}")
    return initialize(model, _scaled(float(scale)), rng)


def mlp(
    dims: Sequence[int],
    *,
    init: str = "course",
    seed: int = 1,
    course_scale: str | float = "sqrt_fan_in",
    dtype: Any = np.float64,
    dropout: float = 0.0,
) -> tnp.Sequential:
    """Linear → ReLU → … → Linear → Sigmoid with layer sizes ``dims``; input (m, dims[0]).

    ``init``: "course" (legacy ``RandomState(seed)``, ``course_scale`` "sqrt_fan_in" or a number),
    "he", "xavier" or "normal" (``course_scale * randn``, 0.01 when "sqrt_fan_in") from
    ``default_rng(seed)``. ``dropout > 0`` puts a Dropout after every hidden ReLU (its masks drawn
    from ``default_rng(seed)``).
    """
    if init not in INITS:
        raise ValueError(f"mlp: init must be one of {INITS}, got {init!r}")
    if init in ("he", "xavier") and course_scale != "sqrt_fan_in":
        raise ValueError(f"mlp: init {init!r} sets its own scale; an init scale is for 'course' or 'normal'")
    rng = np.random.default_rng(seed)
    model = tnp.nn.mlp(dims, rng=rng, dtype=dtype, dropout=dropout)
    if init == "course":
        course_init(model, seed=seed, scale=course_scale)
    elif init != "he":
        s = 0.01 if course_scale == "sqrt_fan_in" else float(course_scale)
        fn = xavier_normal if init == "xavier" else _scaled(s)
        initialize(model, fn, np.random.default_rng(seed))
    return model


def _scaled(scale: float):
    return lambda shape, r, dtype: scaled_normal(shape, r, dtype, scale=scale)


def deep_model(
    init: str = "course", seed: int = 1, dtype: Any = np.float64, dropout: float = 0.0
) -> tnp.Sequential:
    """The course's L-layer model [12288 → 20 → 7 → 5 → 1]; course init is randn / sqrt(fan_in)."""
    return mlp(DEEP_DIMS, init=init, seed=seed, course_scale="sqrt_fan_in", dtype=dtype, dropout=dropout)


def two_layer_model(
    init: str = "course", seed: int = 1, dtype: Any = np.float64, dropout: float = 0.0
) -> tnp.Sequential:
    """The course's two-layer model [12288 → 7 → 1]; course init is 0.01 * randn."""
    return mlp(TWO_LAYER_DIMS, init=init, seed=seed, course_scale=0.01, dtype=dtype, dropout=dropout)


def without_dropout(model: tnp.Sequential) -> tnp.Sequential:
    """The same layers minus any Dropout (the identity at inference): the model to save and predict
    with, so that weights.npz always has the plain keys 0.weight, 2.weight, ..."""
    return tnp.Sequential(*(layer for layer in model if not isinstance(layer, tnp.Dropout)))


def layer_sizes(model: tnp.Layer) -> list[int]:
    """[in_features, out_features of each Linear], e.g. [12288, 20, 7, 5, 1]."""
    return tnp.nn.linear_sizes(model)


MODELS = {"deep": deep_model, "two-layer": two_layer_model}


def model_from_state(state: dict[str, np.ndarray], source: str = "weights") -> tnp.Sequential:
    """Rebuild the Linear/ReLU/…/Sigmoid model whose weights are ``state`` and load them."""
    n = len(state) // 2
    keys = [f"{2 * i}.{p}" for i in range(n) for p in ("weight", "bias")]
    if n == 0 or sorted(keys) != sorted(state):
        raise ValueError(
            f"{source}: the keys must be those of a Linear/ReLU/.../Sigmoid model "
            f"(0.weight, 0.bias, 2.weight, ...), got {sorted(state)}"
        )
    weights = [state[f"{2 * i}.weight"] for i in range(n)]
    if any(w.ndim != 2 for w in weights):
        raise ValueError(f"{source}: weights must be 2-d, got shapes {[w.shape for w in weights]}")
    if any(w.dtype.kind != "f" for w in weights):
        raise ValueError(f"{source}: weights must be floating point, got {[str(w.dtype) for w in weights]}")
    dims = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    if dims[-1] != 1:
        raise ValueError(f"{source}: the last layer must have 1 output, got {dims[-1]}")
    model = mlp(dims, init="he", seed=0, dtype=weights[0].dtype)
    try:
        model.load_state_dict(state)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{source}: {exc}") from None
    return model


def load_model(path: str) -> tnp.Sequential:
    """Load a model saved by ``python -m models.cat train`` (``weights.npz``); ValueError naming the
    file for a file that is not such a model or holds NaN or infinite weights."""
    try:
        state = tnp.load(path)
    except MemoryError as exc:
        raise ValueError(f"{path}: an array in it is too large to load ({exc})") from None
    for key, value in state.items():
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ValueError(f"{path}: {key} holds NaN or infinite weights; retrain or use another file")
    return model_from_state(state, source=str(path))


def predict_proba(model: tnp.Layer, x: np.ndarray) -> np.ndarray:
    """P(cat) for x (m, 12288) -> (m, 1), in eval mode."""
    model.eval()
    return model(np.asarray(x, dtype=model.dtype))
