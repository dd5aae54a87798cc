"""The library's random numbers: ``tnp.manual_seed(s)`` seeds every layer built without an explicit
``rng`` (their weights, and Dropout's masks), as ``torch.manual_seed`` does; an explicit ``rng`` (a
Generator, a legacy RandomState, or an int seed) always wins.

A Generator's state saves as JSON in a 0-d unicode array (``generator_state``; npz-safe, no pickle) and
loads back (``generator_from_state``): fit()'s checkpoints and a DataLoader's ``state_dict`` use these."""

from __future__ import annotations

import json
import numbers
from typing import Any

import numpy as np

from .validation import fail

Seed = np.random.Generator | np.random.RandomState | int | None

_default = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Re-seed the generator shared by every layer built without an ``rng``; returns it. Layers built
    before the call draw from the re-seeded stream too (the generator is re-seeded in place)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise fail("manual_seed", "seed", "be a non-negative integer", seed, error=TypeError)
    if seed < 0:
        raise fail("manual_seed", "seed", "be a non-negative integer", seed)
    _default.bit_generator.state = np.random.default_rng(int(seed)).bit_generator.state
    return _default


def default_generator() -> np.random.Generator:
    """The generator layers use when built without ``rng`` (seeded by ``manual_seed``)."""
    return _default


def generator(who: str, rng: Seed) -> np.random.Generator | np.random.RandomState:
    """``rng`` as a generator: None is the shared default one, an int seeds a new Generator."""
    if rng is None:
        return _default
    if isinstance(rng, np.random.Generator | np.random.RandomState):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    rule = "be an np.random.Generator, a RandomState, an int seed or None"
    raise fail(who, "rng", rule, type(rng).__name__, "e.g. rng=np.random.default_rng(0)", TypeError)


# -- a Generator's state as JSON ------------------------------------------------------------------

# Data read from a file never chooses code to run: only these bit generators can be rebuilt.
BIT_GENERATORS = {
    cls.__name__: cls
    for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937, np.random.Philox, np.random.SFC64)
}


def _encode(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": obj.tolist(), "dtype": str(obj.dtype)}
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            return np.array(obj["__ndarray__"], dtype=np.dtype(obj["dtype"]))
        return {k: _decode(v) for k, v in obj.items()}
    return obj


def generator_state(rng: np.random.Generator) -> np.ndarray:
    """The bit generator state of ``rng`` as JSON in a 0-d unicode array (npz-safe, no pickle)."""
    return np.array(json.dumps(_encode(rng.bit_generator.state)))


def generator_from_state(
    state: np.ndarray, who: str = "rng", error: type = ValueError
) -> np.random.Generator:
    """A new Generator in the saved state, of one of the allow-listed bit generator types (``who``
    names the entry in errors, e.g. "runs/last.npz: rng/fit"; ``error`` is the class raised)."""
    try:
        decoded = _decode(json.loads(str(state)))
        kind = decoded.get("bit_generator") if isinstance(decoded, dict) else None
        bit_generator = BIT_GENERATORS[kind]() if kind in BIT_GENERATORS else None
        if bit_generator is not None:
            bit_generator.state = decoded
    except (ValueError, TypeError, KeyError) as e:
        raise fail(who, "the entry", "be a valid random generator state", f"one that does not load ({e})",
                   error=error) from None  # fmt: skip
    if bit_generator is None:
        raise fail(who, "bit_generator", f"be one of {sorted(BIT_GENERATORS)}", repr(kind), error=error)
    return np.random.Generator(bit_generator)
