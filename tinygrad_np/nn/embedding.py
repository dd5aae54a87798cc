"""Embedding: a table of vectors looked up by integer index, as PyTorch's ``nn.Embedding``. The formula
(forward and the scatter-add backward) is ``ops.embedding.EmbeddingFunction``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..ops import embedding as fn
from ..random import Seed, generator
from ..validation import check_int, fail
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding", "check_indices", "check_padding_idx"]


def check_indices(who: str, indices: Any, num_embeddings: int) -> np.ndarray:
    """``indices`` (an ndarray, a Tensor or a list) as an integer array with every value in
    [0, num_embeddings): a TypeError for floats, an IndexError naming the first bad value."""
    a = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if a.dtype.kind not in "iu":
        fix = "token ids must be integers, e.g. x.astype(np.int64)"
        raise fail(who, "input", "hold integer indices", f"dtype {a.dtype}", fix, TypeError)
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= num_embeddings:
            bad = lo if lo < 0 else hi
            rule = f"lie in [0, {num_embeddings - 1}] (num_embeddings={num_embeddings})"
            raise fail(who, "every index", rule, bad, error=IndexError)
    return a


def check_padding_idx(who: str, padding_idx: Any, num_embeddings: int) -> int | None:
    """``padding_idx`` as an index in [0, num_embeddings) (negative counts from the end, as PyTorch)."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int | np.integer):
        raise fail(who, "padding_idx", "be an integer or None", padding_idx, error=TypeError)
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise fail(who, "padding_idx", f"lie in [{-num_embeddings}, {num_embeddings - 1}]", padding_idx)
    return int(padding_idx) % num_embeddings


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim), drawn from N(0, 1) as PyTorch's (the ``padding_idx``
    row zeroed; it gets no gradient). Input: integer indices of any shape (an ndarray or a Tensor) ->
    shape + (embedding_dim,). Float indices are a TypeError, out-of-range ones an IndexError.
    ``rng``: a Generator, RandomState or int seed; None draws from ``tnp.manual_seed``'s generator."""

    _array_forward = True

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        rng: Seed = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.num_embeddings = check_int("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_int("Embedding", "embedding_dim", embedding_dim)
        self.padding_idx = check_padding_idx("Embedding", padding_idx, self.num_embeddings)
        shape = (self.num_embeddings, self.embedding_dim)
        w = generator("Embedding", rng).standard_normal(shape).astype(np.dtype(dtype), copy=False)
        if self.padding_idx is not None:
            w[self.padding_idx] = 0
        self.weight = Parameter(w)

    def forward(self, x: Any) -> Any:
        """x: integer indices (*) -> (*, embedding_dim), in the weight's dtype."""
        a = check_indices(repr(self), x, self.num_embeddings)
        if not isinstance(x, Tensor):
            x = a
        return self._call_function(fn.EmbeddingFunction, x, self.weight, padding_idx=self.padding_idx)

    def output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape, self.embedding_dim)

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
