"""The Fashion-MNIST classifiers as tinygrad_np models (no command line here).

Both take images (N, 1, 28, 28) and return logits (N, 10), for ``tnp.CrossEntropyLoss``:

- ``mlp``: Flatten → [Linear → (BatchNorm1d) → ReLU → (Dropout)] per hidden size → Linear(…, 10);
  784-256-128-10 by default.
- ``cnn``: two blocks [Conv2d(3×3, padding 1) → (BatchNorm2d) → ReLU] × ``convs_per_block`` → MaxPool2d(2)
  (the last ReLU after the pool, which gives the same numbers for less work),
  28 → 14 → 7, then Flatten → (Dropout) → [Linear → ReLU → (Dropout)] per hidden size → Linear(…, 10);
  channels (32, 64) by default, one conv per block (two: the VGG-style block), no hidden layer in the
  head by default.

The saved model is the one without Dropout (the identity at inference), so its state-dict keys depend
only on the kind, the sizes and whether BatchNorm is used: :func:`model_from_state` rebuilds it from
the keys and shapes alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import tinygrad_np as tnp

N_CLASSES = 10
IMAGE_SHAPE = (1, 28, 28)
MLP_HIDDEN = (256, 128)
CNN_CHANNELS = (32, 64)


def mlp(
    hidden: Sequence[int] = MLP_HIDDEN,
    *,
    batchnorm: bool = False,
    dropout: float = 0.0,
    seed: int = 0,
    dtype: Any = np.float32,
) -> tnp.Sequential:
    """784 → hidden… → 10 with ReLU (He-initialised); optional BatchNorm1d and Dropout per hidden layer."""
    rng = np.random.default_rng(seed)
    n_in = int(np.prod(IMAGE_SHAPE))
    return tnp.Sequential(
        tnp.Flatten(), *_dense(n_in, hidden, batchnorm=batchnorm, dropout=dropout, rng=rng, dtype=dtype)
    )


def _dense(
    n_in: int, hidden: Sequence[int], *, batchnorm: bool, dropout: float, rng: np.random.Generator, dtype: Any
) -> list[tnp.Layer]:
    """[Linear → (BatchNorm1d) → ReLU → (Dropout)] per hidden size, then Linear(…, 10): the MLP, and the
    CNN's head."""
    layers: list[tnp.Layer] = []
    sizes = [n_in, *hidden]
    for a, b in itertools.pairwise(sizes):
        layers.append(tnp.Linear(a, b, rng=rng, dtype=dtype))
        if batchnorm:
            layers.append(tnp.BatchNorm1d(b, dtype=dtype))
        layers.append(tnp.ReLU())
        if dropout:
            layers.append(tnp.Dropout(dropout, rng=rng))
    layers.append(tnp.Linear(sizes[-1], N_CLASSES, init="xavier", rng=rng, dtype=dtype))
    return layers


def cnn(
    channels: Sequence[int] = CNN_CHANNELS,
    *,
    batchnorm: bool = True,
    dropout: float = 0.0,
    convs_per_block: int = 1,
    hidden: Sequence[int] = (),
    seed: int = 0,
    dtype: Any = np.float32,
) -> tnp.Sequential:
    """[[Conv 3×3 (pad 1) → (BN) → ReLU] × convs_per_block → MaxPool 2] per channel count (the block's
    last ReLU after its pool: max and ReLU commute), then
    Flatten → (Dropout) → [Linear → ReLU → (Dropout)] per ``hidden`` size → Linear → 10."""
    if convs_per_block < 1:
        raise ValueError(f"cnn: convs_per_block must be at least 1, got {convs_per_block}")
    rng = np.random.default_rng(seed)
    layers: list[tnp.Layer] = []
    c_in, side = IMAGE_SHAPE[0], IMAGE_SHAPE[1]
    for c in channels:
        for k in range(convs_per_block):
            layers.append(
                tnp.Conv2d(c_in, c, 3, padding=1, bias=not batchnorm, init="he", rng=rng, dtype=dtype)
            )
            if batchnorm:
                layers.append(tnp.BatchNorm2d(c, dtype=dtype))
            # the block's last ReLU after its pool: max and ReLU commute (same outputs and gradients),
            # and the ReLU then runs on a quarter of the values
            layers += [tnp.MaxPool2d(2), tnp.ReLU()] if k == convs_per_block - 1 else [tnp.ReLU()]
            c_in = c
        side //= 2
    layers.append(tnp.Flatten())
    if dropout:
        layers.append(tnp.Dropout(dropout, rng=rng))
    layers += _dense(c_in * side * side, hidden, batchnorm=False, dropout=dropout, rng=rng, dtype=dtype)
    return tnp.Sequential(*layers)


MODELS: dict[str, Callable[..., tnp.Sequential]] = {"mlp": mlp, "cnn": cnn}


def describe(model: tnp.Sequential) -> str:
    """A one-line architecture, e.g. "conv 1→32, bn, pool, relu, conv 32→64, ..., linear 3136→10"."""
    names = {"BatchNorm1d": "bn", "BatchNorm2d": "bn", "MaxPool2d": "pool"}
    parts = []
    for layer in model:
        kind = type(layer).__name__
        if isinstance(layer, tnp.Linear):
            parts.append(f"linear {layer.in_features}→{layer.out_features}")
        elif isinstance(layer, tnp.Conv2d):
            parts.append(f"conv {layer.in_channels}→{layer.out_channels}")
        else:
            parts.append(names.get(kind, kind.lower()))
    return ", ".join(parts)


def _architecture(state: dict[str, np.ndarray], source: str) -> tuple[str, dict[str, Any]]:
    """("mlp" | "cnn", builder keyword arguments) read from a state dict's keys and shapes."""
    keys = [k for k in sorted(state, key=lambda k: int(k.split(".")[0])) if k.endswith(".weight")]
    weights = [state[k] for k in keys]
    batchnorm = any(k.endswith(".running_mean") for k in state)
    convs = [w for w in weights if w.ndim == 4]
    at = [int(k.split(".")[0]) for k, w in zip(keys, weights, strict=True) if w.ndim == 4]
    linears = [w for w in weights if w.ndim == 2]
    if not linears or linears[-1].shape[0] != N_CLASSES:
        raise ValueError(f"{source}: not a Fashion-MNIST model (no final Linear with {N_CLASSES} outputs)")
    if convs:
        # the convs of one block follow each other every 2 (3 with BN) layers; a pool ends the block
        per = 3 if batchnorm else 2
        depth = next((i + 1 for i in range(len(at) - 1) if at[i + 1] - at[i] != per), len(at))
        kwargs = {"channels": [w.shape[0] for w in convs[::depth]], "batchnorm": batchnorm}
        kwargs |= {"hidden": [w.shape[0] for w in linears[:-1]]} if len(linears) > 1 else {}
        return "cnn", kwargs | ({"convs_per_block": depth} if depth > 1 else {})
    return "mlp", {"hidden": [w.shape[0] for w in linears[:-1]], "batchnorm": batchnorm}


def model_from_state(state: dict[str, np.ndarray], source: str = "weights") -> tnp.Sequential:
    """Rebuild the mlp or cnn whose state dict is ``state`` and load it (strict: every key must match)."""
    if not state or not all(k.split(".")[0].isdigit() for k in state):
        raise ValueError(f"{source}: keys must be those of a Sequential (0.weight, ...), got {sorted(state)}")
    kind, kwargs = _architecture(state, source)
    first = next(v for k, v in state.items() if k.endswith(".weight"))
    if first.dtype.kind != "f":
        raise ValueError(f"{source}: weights must be floating point, got {first.dtype}")
    model = MODELS[kind](**kwargs, dtype=first.dtype)
    try:
        model.load_state_dict(state)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{source}: {exc}") from None
    return model.eval()


def load_model(path: str) -> tnp.Sequential:
    """Load a model saved by ``python -m models.fashion train`` (``weights.npz``)."""
    return model_from_state(tnp.load(path), source=str(path))


def predict_logits(model: tnp.Layer, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Logits (N, 10) for images x (N, 1, 28, 28), in eval mode, ``batch_size`` images at a time."""
    model.eval()
    x = np.asarray(x, dtype=model.dtype)
    return np.concatenate([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])
