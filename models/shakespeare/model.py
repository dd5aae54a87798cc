"""A character-level GPT, read top to bottom: nanoGPT's model.py written with tinygrad_np.

    config = GPTConfig(vocab_size=65)                 # nanoGPT's CPU configuration: 4 layers, 4 heads, 128
    model = GPT(config, rng=np.random.default_rng(0))
    logits, loss = model(x, y)                        # x, y: (B, T) int token ids; logits (B, T, vocab)
    loss.backward()                                   # every Parameter's .grad
    text_ids = model.generate(prompt_ids, 100, temperature=0.8, top_k=200, rng=rng)

The network: token and position embeddings, ``n_layer`` blocks of (LayerNorm → causal self-attention →
add, LayerNorm → MLP → add), a final LayerNorm and the output projection ``lm_head``, whose weight IS the
token embedding's (weight tying: one Parameter, its gradient summed over both uses, saved once). No biases
and no dropout (nanoGPT's CPU settings). Weights start from N(0, 0.02); the two projections that write into
the residual stream (attention's ``c_proj`` and the MLP's ``c_proj``) from N(0, 0.02 / sqrt(2 n_layer)), so
the stream's variance does not grow with depth (GPT-2's rule).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

import tinygrad_np as tnp
import tinygrad_np.functional as F
from tinygrad_np.numerics import softmax


@dataclass(frozen=True)
class GPTConfig:
    """The shape of the network. The defaults are nanoGPT's CPU run of ``shakespeare_char``."""

    vocab_size: int = 65  # distinct characters
    block_size: int = 64  # the context: at most this many tokens are looked at
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128  # the width of the residual stream; each head sees n_embd // n_head of it

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _normal(std: float, rng: np.random.Generator, dtype: Any) -> Any:
    """An initialiser for Linear: N(0, std) of the requested shape (and dtype)."""

    def init(shape: tuple[int, ...], _rng: Any, _dtype: Any) -> np.ndarray:
        return rng.normal(0.0, std, size=shape).astype(dtype)

    return init


class CausalSelfAttention(tnp.Module):
    """Every position looks at itself and the positions before it, in ``n_head`` heads at once.

    x (B, T, C) → q, k, v from one Linear(C, 3C) → each (B, n_head, T, C / n_head) → softmax(q kᵀ /
    sqrt(head size)), masked so that position t sees only positions ≤ t, times v → heads side by side
    again (B, T, C) → the output projection ``c_proj``.
    """

    def __init__(self, config: GPTConfig, rng: np.random.Generator, dtype: Any) -> None:
        super().__init__()
        if config.n_embd % config.n_head:
            raise ValueError(f"n_embd ({config.n_embd}) must be divisible by n_head ({config.n_head})")
        c, std = config.n_embd, 0.02 / math.sqrt(2 * config.n_layer)
        self.n_head, self.n_embd = config.n_head, c
        self.c_attn = tnp.Linear(c, 3 * c, bias=False, init=_normal(0.02, rng, dtype), dtype=dtype)
        self.c_proj = tnp.Linear(c, c, bias=False, init=_normal(std, rng, dtype), dtype=dtype)

    def forward(self, x: tnp.Tensor) -> tnp.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        hs = C // self.n_head
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, hs).transpose(1, 2)
        v = v.view(B, T, self.n_head, hs).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, hs)
        y = y.transpose(1, 2).reshape(B, T, C)  # the heads side by side
        return self.c_proj(y)


class MLP(tnp.Module):
    """Per position: Linear(C, 4C) → GELU → Linear(4C, C)."""

    def __init__(self, config: GPTConfig, rng: np.random.Generator, dtype: Any) -> None:
        super().__init__()
        c, std = config.n_embd, 0.02 / math.sqrt(2 * config.n_layer)
        self.c_fc = tnp.Linear(c, 4 * c, bias=False, init=_normal(0.02, rng, dtype), dtype=dtype)
        self.gelu = tnp.GELU()
        self.c_proj = tnp.Linear(4 * c, c, bias=False, init=_normal(std, rng, dtype), dtype=dtype)

    def forward(self, x: tnp.Tensor) -> tnp.Tensor:
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(tnp.Module):
    """One transformer block: communication (attention) then computation (MLP), each added to the
    residual stream after a LayerNorm of it ("pre-norm")."""

    def __init__(self, config: GPTConfig, rng: np.random.Generator, dtype: Any) -> None:
        super().__init__()
        self.ln_1 = tnp.LayerNorm(config.n_embd, bias=False, dtype=dtype)
        self.attn = CausalSelfAttention(config, rng, dtype)
        self.ln_2 = tnp.LayerNorm(config.n_embd, bias=False, dtype=dtype)
        self.mlp = MLP(config, rng, dtype)

    def forward(self, x: tnp.Tensor) -> tnp.Tensor:
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(tnp.Module):
    """The language model: (B, T) token ids → (B, T, vocab_size) logits of the next token."""

    _array_forward = True  # forward takes integer arrays itself (ids are not a Tensor to differentiate)

    def __init__(
        self, config: GPTConfig, *, rng: np.random.Generator | int | None = None, dtype: Any = np.float32
    ) -> None:
        super().__init__()
        rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
        self.config = config
        self.wte = tnp.Embedding(config.vocab_size, config.n_embd, rng=rng, dtype=dtype)  # token embedding
        self.wpe = tnp.Embedding(config.block_size, config.n_embd, rng=rng, dtype=dtype)  # position embedding
        for emb in (self.wte, self.wpe):
            emb.weight.data = rng.normal(0.0, 0.02, size=emb.weight.shape).astype(dtype)
        self.h = tnp.ModuleList([Block(config, rng, dtype) for _ in range(config.n_layer)])
        self.ln_f = tnp.LayerNorm(config.n_embd, bias=False, dtype=dtype)
        self.lm_head = tnp.Linear(
            config.n_embd, config.vocab_size, bias=False, init=_normal(0.02, rng, dtype), dtype=dtype
        )
        self.lm_head.weight = self.wte.weight  # weight tying: one Parameter, two uses

    def forward(self, idx: Any, targets: Any = None) -> tuple[tnp.Tensor, tnp.Tensor | None]:
        """idx (B, T) int → (logits, loss). With ``targets`` (B, T): logits (B, T, vocab) and the mean
        cross-entropy; without: the logits of the last position only, (B, 1, vocab), and None."""
        ids = self._ids(idx)
        B, T = ids.shape
        x = self._trunk(ids)
        if targets is None:
            return self.lm_head(x[:, -1:, :]), None  # only the last position is needed to generate
        logits = self.lm_head(x)
        targets = np.asarray(targets.data if isinstance(targets, tnp.Tensor) else targets)
        loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))
        return logits, loss

    def logits(self, idx: Any) -> tnp.Tensor:
        """idx (B, T) int → (B, T, vocab) logits at every position (what ``export`` writes to ONNX)."""
        return self.lm_head(self._trunk(self._ids(idx)))

    def _ids(self, idx: Any) -> tnp.Tensor:
        """The token ids as a Tensor (a Tensor given stays itself: an exported graph's input), checked."""
        ids = idx if isinstance(idx, tnp.Tensor) else tnp.Tensor(np.asarray(idx))
        if ids.ndim != 2:
            raise ValueError(f"GPT: the token ids must have shape (batch, time), got shape {ids.shape}")
        if ids.shape[1] > self.config.block_size:
            raise ValueError(
                f"GPT: the sequence must be at most block_size={self.config.block_size} tokens, "
                f"got {ids.shape[1]}"
            )
        return ids

    def _trunk(self, ids: tnp.Tensor) -> tnp.Tensor:
        """(B, T) ids → (B, T, C): embeddings, the blocks, the final LayerNorm."""
        x = self.wte(ids) + self.wpe(tnp.Tensor(np.arange(ids.shape[1])))  # positions: the same per row
        for block in self.h:
            x = block(x)
        return self.ln_f(x)

    def generate(
        self,
        idx: np.ndarray,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Continue each row of ``idx`` (B, T) by ``max_new_tokens`` tokens, one at a time: feed the last
        ``block_size`` tokens, divide the last logits by ``temperature``, keep the ``top_k`` largest,
        draw from their softmax. Returns (B, T + max_new_tokens) int64."""
        rng = rng if rng is not None else np.random.default_rng()
        idx = np.asarray(idx, dtype=np.int64)
        with tnp.no_grad():
            for _ in range(max_new_tokens):
                logits, _ = self(idx[:, -self.config.block_size :])
                z = logits.data[:, -1, :].astype(np.float64) / temperature
                if top_k is not None and top_k < z.shape[-1]:
                    kth = np.sort(z, axis=-1)[:, -top_k]
                    z[z < kth[:, None]] = -np.inf
                p = softmax(z, axis=-1)
                u = rng.random((len(p), 1))  # inverse-CDF draw: the first token whose cumulative p > u
                nxt = np.minimum((np.cumsum(p, axis=-1) <= u).sum(axis=-1), p.shape[-1] - 1)
                idx = np.concatenate([idx, nxt[:, None]], axis=1)
        return idx

    def configure_optimizers(
        self, weight_decay: float, learning_rate: float, betas: tuple[float, float]
    ) -> tnp.optim.AdamW:
        """AdamW with two parameter groups, as nanoGPT: weight decay on every matrix (embeddings and the
        Linear weights), none on vectors (the LayerNorm gains)."""
        params = self.parameters()  # the tied weight once
        decay = [p for p in params if p.ndim >= 2]
        no_decay = [p for p in params if p.ndim < 2]
        groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
        return tnp.optim.AdamW(groups, lr=learning_rate, betas=betas)

    def num_params(self, non_embedding: bool = True) -> int:
        """The number of weights (the tied one once); without the position embedding by default, as
        nanoGPT counts (the token embedding is counted: it is also the output layer)."""
        n = sum(p.data.size for p in self.parameters())
        return n - self.wpe.weight.data.size if non_embedding else n

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.config.as_dict().items())
