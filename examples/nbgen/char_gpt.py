"""examples/char_gpt.ipynb: a character-level GPT built piece by piece, trained on Tiny Shakespeare."""

from . import REPOSITORY_CELL

CELLS = [
    (
        "md",
        """
# A character-level GPT on Tiny Shakespeare, piece by piece

The model of nanoGPT's `shakespeare_char`, built from tinygrad_np's parts: we read the text, turn characters
into vectors with an **embedding**, write **one attention head by hand** with Tensor operations, check it
against `F.scaled_dot_product_attention` and `MultiheadAttention`, assemble a **transformer block**, then the
whole **GPT** (`models/shakespeare/model.py`, readable top to bottom), train it and let it write.

On CI (the `CI` environment variable set) the training is a short run of a smaller network (about a minute);
otherwise it is nanoGPT's CPU configuration, 2,000 iterations (a few minutes on a laptop). The command line
does the same: `python -m models.shakespeare train`.
""",
    ),
    REPOSITORY_CELL,
    (
        "code",
        """
import math
import os

import matplotlib.pyplot as plt
import numpy as np

import tinygrad_np as tnp
import tinygrad_np.functional as F
from models.shakespeare.data import Vocabulary, get_batch, load_text, split_ids

text, source = load_text()  # $TINYGRAD_NP_DATA/tinyshakespeare/input.txt, the cache, or a verified download
vocab = Vocabulary.from_text(text)
train_ids, val_ids = split_ids(vocab.encode(text))
print(f"{len(text):,} characters from {source}; {len(vocab)} distinct: {vocab.chars!r}")
print(f"train {len(train_ids):,}, validation {len(val_ids):,}")
print(text[:200])
""",
    ),
    (
        "md",
        """
## 1. Batches and the embedding

A batch is `B` random windows of `T` characters (`x`) and the same windows one character later (`y`): after
`x[b, :t+1]` comes `y[b, t]`. An **embedding** is a table with one learned row per character:
`tnp.Embedding(65, C)(x)` looks up a `C`-vector for every position, (B, T) → (B, T, C).
""",
    ),
    (
        "code",
        """
rng = np.random.default_rng(0)
B, T, C = 4, 8, 32
x, y = get_batch(train_ids, T, B, rng)
print("x[0]:", repr(vocab.decode(x[0])), " y[0]:", repr(vocab.decode(y[0])))

wte = tnp.Embedding(len(vocab), C, rng=0)
wpe = tnp.Embedding(T, C, rng=1)  # one row per position
h = wte(tnp.Tensor(x)) + wpe(tnp.Tensor(np.arange(T)))  # (B, T, C) + (T, C): broadcast over the batch
print("embedded:", h.shape)
""",
    ),
    (
        "md",
        """
## 2. One attention head, by hand

Each position emits a **query** ("what am I looking for"), a **key** ("what do I hold") and a **value**
("what I pass on"). The scores `q kᵀ / sqrt(head size)` say how much position t attends to position s; a
**causal** mask forbids looking ahead (s > t gets -∞), a softmax turns each row into weights, and the output
is the weighted sum of the values.
""",
    ),
    (
        "code",
        """
hs = 16  # head size
key, query, value = (tnp.Linear(C, hs, bias=False, rng=i) for i in range(3))
k, q, v = key(h), query(h), value(h)  # (B, T, hs) each
scores = q @ k.transpose(-2, -1) / math.sqrt(hs)  # (B, T, T)
future = np.triu(np.ones((T, T), dtype=bool), k=1)  # True above the diagonal: s > t
weights = F.softmax(scores.masked_fill(future, -np.inf), dim=-1)
out = weights @ v  # (B, T, hs)
print("weights of sequence 0 (row t: how much position t looks at each s):")
print(np.round(weights.data[0], 2))

fused = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # the same formula, one Function
print("largest difference from F.scaled_dot_product_attention:", float(np.abs(fused.data - out.data).max()))
""",
    ),
    (
        "md",
        """
## 3. Many heads: `MultiheadAttention`

Several heads side by side, each on its own slice of the projections, then an output projection:
PyTorch's `nn.MultiheadAttention` (same parameters and keys: `in_proj_weight` (3C, C), `out_proj`). Its
returned weights are averaged over the heads; the rows still sum to 1 and nothing looks ahead.
""",
    ),
    (
        "code",
        """
mha = tnp.MultiheadAttention(C, num_heads=4, bias=False, batch_first=True, rng=0)
out, avg = mha(h, h, h, attn_mask=future, is_causal=True)  # PyTorch's mask convention: True = masked
print("out", out.shape, "weights", avg.shape)
print("rows sum to 1:", np.allclose(avg.data.sum(-1), 1), "| upper triangle 0:", np.all(avg.data[:, future] == 0))
print({name: p.shape for name, p in mha.named_parameters()})
""",
    ),
    (
        "md",
        """
## 4. A transformer block, then the GPT

A block lets the positions communicate (attention), then thinks per position (an MLP, 4× wider, GELU),
each added to the **residual stream** after a LayerNorm. The GPT stacks blocks between the embeddings and a
final LayerNorm and projection to 65 logits, whose weight is the token embedding's (weight tying).
`models/shakespeare/model.py` is that, in about 200 lines: read it now.
""",
    ),
    (
        "code",
        """
from models.shakespeare.model import GPT, Block, GPTConfig

block = Block(GPTConfig(n_embd=C, n_head=4), np.random.default_rng(0), np.float32)
print("a block keeps the shape:", block(h.float()).shape)

ci = bool(os.environ.get("CI"))
config = (
    GPTConfig(vocab_size=len(vocab), block_size=32, n_layer=2, n_head=4, n_embd=64)  # the CI run
    if ci
    else GPTConfig(vocab_size=len(vocab))  # nanoGPT's CPU configuration: 4 layers, 4 heads, 128 wide, 64 context
)
model = GPT(config, rng=1337)
print(model)
print(f"{model.num_params() / 1e6:.2f}M parameters")
xb, yb = get_batch(train_ids, config.block_size, 12, np.random.default_rng(0))
logits, loss = model(xb, yb)
print(f"logits {logits.shape}; loss at initialisation {loss.item():.4f} vs ln(65) = {math.log(65):.4f}")
""",
    ),
    (
        "md",
        """
## 5. Training

nanoGPT's recipe: AdamW (lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on the matrices only), a linear
warm-up then a cosine down to 1e-4, gradient clipping at 1.0, batches of 12. `train` estimates the train and
validation losses every `eval_interval` steps (means over random batches, drawn from their own generator).
""",
    ),
    (
        "code",
        """
from models.shakespeare.train import Run, TrainConfig, train

iterations = 300 if ci else 2000
recipe = TrainConfig(iterations=iterations, lr_decay_iters=iterations, eval_interval=100 if ci else 250,
                     eval_iters=20 if ci else 200)
run = train(Run.start(model, recipe, vocab.chars), train_ids, val_ids, progress=False)
print(f"validation loss {run.val_loss:.4f} after {run.iteration} iterations ({run.seconds:.0f} s)")

fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(np.arange(1, len(run.losses) + 1), run.losses, alpha=0.3, label="batch loss")
steps, tr, va = zip(*run.evals)
ax.plot(steps, tr, "o-", label="train (estimate)")
ax.plot(steps, va, "o-", label="validation (estimate)")
ax.set_xlabel("iteration"); ax.set_ylabel("cross-entropy (nats / character)"); ax.legend(); ax.grid(alpha=0.3)
plt.show()
""",
    ),
    (
        "md",
        """
## 6. Let it write

`generate` feeds the last `block_size` characters, takes the logits of the next one, divides by a
temperature, keeps the `top_k` likeliest and draws. After a short run the spelling is rough; after the full
2,000 iterations (validation loss near 1.9) the layout of a play appears: names, colons, line breaks.
""",
    ),
    (
        "code",
        """
prompt = vocab.encode("ROMEO:")[None, :]
ids = model.generate(prompt, 300, temperature=0.8, top_k=200, rng=np.random.default_rng(1337))
print(vocab.decode(ids[0]))
""",
    ),
]
