"""The library's random numbers: ``tnp.manual_seed(s)`` seeds every layer built without an explicit
``rng`` (their weights, and Dropout's masks), as ``torch.manual_seed`` does; an explicit ``rng`` (a
Generator, a legacy RandomState, or an int seed) always wins."""

from __future__ import annotations

import numbers

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
