"""Transforms on whole batches of images (N, C, H, W), vectorised over the batch, seeded explicitly.

    train_tf = Compose([ToFloat(), RandomCrop(28, padding=2), RandomHorizontalFlip(),
                        Normalize(mean=[0.286], std=[0.353])])
    xb = train_tf(images_uint8, np.random.default_rng(0))

A transform is a callable ``t(batch, rng) -> batch`` returning a new array (the input, which may be a
view of the dataset, is never written). The random ones draw from the Generator they are handed (the
DataLoader passes its own ``rng``), all of a batch's draws in one call each, so one seeded stream
decides the shuffling and every augmentation, and a checkpoint of that stream resumes them exactly.
None of them loops over samples in Python: a crop pads the batch once and gathers every sample's
window by fancy indexing into a ``sliding_window_view``; a flip picks, by a boolean mask per sample,
between the batch and its mirror view. ``Lambda(f)`` wraps a one-argument function ``f(batch)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..validation import check_finite_float, check_int, check_probability, fail

__all__ = ["Compose", "Lambda", "Normalize", "RandomCrop", "RandomHorizontalFlip", "ToFloat", "Transform"]


class Transform:
    """Base class: ``__call__(x, rng=None)`` maps a batch to a new batch; ``random`` says whether it draws
    from ``rng`` (a DataLoader with a random transform needs an explicit Generator)."""

    random = False

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({fields})"


def _images(who: str, x: Any) -> np.ndarray:
    """``x`` as a batch of images (N, C, H, W)."""
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        got = f"shape {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
        raise fail(who, "the batch", "be an array (N, C, H, W)", got, "add the channel axis: x[:, None]")
    return x


def _generator(who: str, rng: Any) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        rule, fix = (
            "be an np.random.Generator (a DataLoader passes its own)",
            "e.g. rng=np.random.default_rng(0)",
        )
        raise fail(who, "rng", rule, type(rng).__name__, fix, TypeError)
    return rng


class Compose(Transform):
    """Apply ``transforms`` in order, each handed the same ``rng`` (so their draws interleave in one
    stream, in the order of the list)."""

    def __init__(self, transforms: Sequence[Callable[..., np.ndarray]]) -> None:
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                fix = "wrap a one-argument function in Lambda(f)"
                rule = "be callable (batch, rng) -> batch"
                raise fail("Compose", f"transforms[{i}]", rule, type(t).__name__, fix, TypeError)
        self.random = any(getattr(t, "random", False) for t in self.transforms)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        for t in self.transforms:
            x = t(x, rng)
        return x

    def __repr__(self) -> str:
        return "Compose([" + ", ".join(map(repr, self.transforms)) + "])"


class Lambda(Transform):
    """A one-argument function ``f(batch) -> batch`` as a (deterministic) transform."""

    def __init__(self, f: Callable[[np.ndarray], np.ndarray]) -> None:
        if not callable(f):
            raise fail("Lambda", "f", "be callable", type(f).__name__, error=TypeError)
        self.f = f

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        return self.f(x)


class ToFloat(Transform):
    """``x * scale`` as ``dtype`` (default: 8-bit pixels / 255 as float32), e.g. uint8 images to [0, 1]."""

    def __init__(self, scale: float = 1 / 255, dtype: Any = np.float32) -> None:
        self.scale = check_finite_float("ToFloat", "scale", scale)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise fail("ToFloat", "dtype", "be a floating-point dtype", str(self.dtype), error=TypeError)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        out = np.asarray(x).astype(self.dtype)  # a new array, even when x has the dtype already
        out *= self.dtype.type(self.scale)
        return out


class Normalize(Transform):
    """``(x - mean[c]) / std[c]`` per channel c of (N, C, H, W); the result keeps x's float dtype."""

    def __init__(self, mean: float | Sequence[float], std: float | Sequence[float]) -> None:
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        for what, v in (("mean", self.mean), ("std", self.std)):
            if v.ndim != 1 or not np.all(np.isfinite(v)):
                raise fail("Normalize", what, "be finite numbers, one per channel", v)
        if not np.all(self.std > 0):
            raise fail("Normalize", "std", "be > 0 in every channel", self.std)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        x = _images("Normalize", x)
        if x.dtype.kind != "f":
            raise fail("Normalize", "the batch", "be floating-point", f"dtype {x.dtype}",
                       "put ToFloat() before Normalize", TypeError)  # fmt: skip
        channels = len(self.mean)
        if len(self.std) != channels or x.shape[1] != channels:
            got = f"{x.shape[1]} channels for {channels} means and {len(self.std)} stds"
            raise fail("Normalize", "mean and std", "have one value per channel of the batch", got)
        mean = self.mean.astype(x.dtype).reshape(1, -1, 1, 1)
        std = self.std.astype(x.dtype).reshape(1, -1, 1, 1)
        return (x - mean) / std


def _pair(who: str, what: str, v: Any, minimum: int) -> tuple[int, int]:
    if isinstance(v, tuple | list) and len(v) == 2:
        return check_int(who, what, v[0], minimum=minimum), check_int(who, what, v[1], minimum=minimum)
    n = check_int(who, what, v, minimum=minimum)
    return n, n


class RandomCrop(Transform):
    """A ``size`` window (h, w) of each image, at a position drawn uniformly over every window of the
    image padded with ``padding`` pixels of value ``fill`` on each side.

    Draws: ``rng.integers(0, [H + 2p - h + 1, W + 2p - w + 1], size=(N, 2))``, one (top, left) per sample.
    Vectorised: pad the batch once; ``sliding_window_view`` makes every window a view (N, C, i, j, h, w);
    one fancy index ``[n, :, top[n], left[n]]`` copies the N chosen windows.
    """

    random = True

    def __init__(self, size: int | tuple[int, int], padding: int = 0, fill: float = 0) -> None:
        self.size = _pair("RandomCrop", "size", size, 1)
        self.padding = check_int("RandomCrop", "padding", padding, minimum=0)
        if isinstance(fill, bool) or not isinstance(fill, numbers.Real):
            raise fail("RandomCrop", "fill", "be a number", type(fill).__name__, error=TypeError)
        self.fill: float = fill

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        x, rng = _images("RandomCrop", x), _generator("RandomCrop", rng)
        (h, w), p = self.size, self.padding
        if p:
            x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill)
        rows, cols = x.shape[2] - h + 1, x.shape[3] - w + 1
        if rows < 1 or cols < 1:
            got = f"{self.size} for images {x.shape[2] - 2 * p}x{x.shape[3] - 2 * p} padded by {p}"
            raise fail("RandomCrop", "size", "fit in the padded image", got)
        top, left = rng.integers(0, [rows, cols], size=(len(x), 2)).T
        windows = sliding_window_view(x, (h, w), axis=(2, 3))  # (N, C, rows, cols, h, w), a view
        return windows[np.arange(len(x)), :, top, left]  # (N, C, h, w), a copy


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p``. Draws ``rng.random(N) < p`` (one per sample);
    the batch and its mirror view ``x[..., ::-1]`` are chosen between by that mask."""

    random = True

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_probability("RandomHorizontalFlip", "p", p)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        x, rng = _images("RandomHorizontalFlip", x), _generator("RandomHorizontalFlip", rng)
        flip = rng.random(len(x)) < self.p
        return np.where(flip[:, None, None, None], x[..., ::-1], x)
