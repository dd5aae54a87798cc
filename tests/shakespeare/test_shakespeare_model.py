"""The GPT: shapes, the loss at initialisation, weight tying, its files, generation, and PyTorch parity."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tnp
from models.shakespeare.files import load_weights, save_weights
from models.shakespeare.model import GPT, GPTConfig
from tinygrad_np.serialization import load

SMALL = GPTConfig(vocab_size=65, block_size=8, n_layer=2, n_head=2, n_embd=16)


def batch(config: GPTConfig, b: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(config.vocab_size, size=(b, config.block_size + 1))
    return ids[:, :-1], ids[:, 1:]


def test_shapes_and_the_loss_at_initialisation() -> None:
    model = GPT(SMALL, rng=0)
    x, y = batch(SMALL)
    logits, loss = model(x, y)
    assert logits.shape == (3, 8, 65) and logits.dtype == np.float32 and loss is not None
    assert abs(loss.item() - math.log(65)) < 0.05  # small weights: nearly uniform predictions
    last, none = model(x)
    assert last.shape == (3, 1, 65) and none is None
    np.testing.assert_allclose(last.data[:, 0], logits.data[:, -1], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="at most block_size=8 tokens, got 9"):
        model(np.zeros((1, 9), dtype=np.int64))
    with pytest.raises(ValueError, match=r"token ids must have shape \(batch, time\), got shape \(8,\)"):
        model.logits(np.zeros(8, dtype=np.int64))


def test_initialisation_follows_gpt2() -> None:
    model = GPT(GPTConfig(n_layer=4), rng=0, dtype=np.float64)
    assert abs(model.h[0].attn.c_attn.weight.data.std() - 0.02) < 0.001
    assert abs(model.wte.weight.data.std() - 0.02) < 0.002
    residual = 0.02 / math.sqrt(2 * 4)  # the projections into the residual stream
    for block in model.h:
        assert abs(block.mlp.c_proj.weight.data.std() - residual) < 0.0005
        assert abs(block.attn.c_proj.weight.data.std() - residual) < 0.001
    assert all(p.ndim == 2 or np.all(p.data == 1) for p in model.parameters())  # LayerNorm gains at 1
    names = [n for n, _ in model.named_parameters()]
    assert not any("bias" in n for n in names) and "lm_head.weight" not in names  # tied: listed once
    assert model.num_params() == 795904  # nanoGPT prints 0.80M for this configuration
    again = GPT(GPTConfig(n_layer=4), rng=0, dtype=np.float64)
    assert all(
        np.array_equal(a.data, b.data) for a, b in zip(model.parameters(), again.parameters(), strict=True)
    )


def test_weight_tying_sums_both_gradients() -> None:
    model = GPT(SMALL, rng=1, dtype=np.float64)
    assert model.lm_head.weight is model.wte.weight
    x, y = batch(SMALL)
    _, loss = model(x, y)
    loss.backward()
    head_only = GPT(SMALL, rng=1, dtype=np.float64)  # the same weights, untied: two Parameters
    head_only.lm_head.weight = tnp.Parameter(head_only.wte.weight.data.copy())
    _, loss2 = head_only(x, y)
    loss2.backward()
    total = head_only.wte.weight.grad + head_only.lm_head.weight.grad
    np.testing.assert_allclose(model.wte.weight.grad, total, rtol=1e-12, atol=1e-15)


def test_optimizer_groups_decay_matrices_only() -> None:
    model = GPT(SMALL, rng=0)
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99))
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert all(p.ndim == 2 for p in decay["params"]) and all(p.ndim == 1 for p in no_decay["params"])
    assert len(decay["params"]) + len(no_decay["params"]) == len(model.parameters())
    assert sum(p is model.wte.weight for p in decay["params"]) == 1


def test_weights_file_round_trip_stores_the_tied_weight_once(tmp_path: Path) -> None:
    model = GPT(SMALL, rng=2)
    save_weights(model, "abc" + "x" * 62, tmp_path / "w.npz")
    arrays = load(tmp_path / "w.npz")
    assert "model/wte.weight" in arrays and "model/lm_head.weight" not in arrays
    again, vocab = load_weights(tmp_path / "w.npz")
    assert vocab.startswith("abc") and again.config == SMALL and again.lm_head.weight is again.wte.weight
    x, y = batch(SMALL)
    np.testing.assert_array_equal(again(x, y)[0].data, model(x, y)[0].data)
    tnp.save({"model/wte.weight": np.zeros(3)}, tmp_path / "other.npz")
    with pytest.raises(ValueError, match="must be GPT weights written by .*got 'no format entry'"):
        load_weights(tmp_path / "other.npz")


def test_a_few_steps_reduce_the_loss() -> None:
    from models.shakespeare.train import Run, TrainConfig, step

    model = GPT(SMALL, rng=0)
    run = Run.start(model, TrainConfig(warmup_iters=0, lr_decay_iters=30, learning_rate=1e-2), "?" * 65)
    x, y = batch(SMALL, b=4)
    losses = []
    for i in range(30):
        run.iteration = i
        losses.append(step(run, x, y))
    assert losses[-1] < 0.5 * losses[0]


def test_generate_continues_and_crops_to_the_context() -> None:
    model = GPT(SMALL, rng=0)
    prompt = np.array([[1, 2, 3]])
    out = model.generate(prompt, 12, rng=np.random.default_rng(0))
    assert out.shape == (1, 15) and out.dtype == np.int64 and out.max() < 65
    np.testing.assert_array_equal(out[:, :3], prompt)
    np.testing.assert_array_equal(out, model.generate(prompt, 12, rng=np.random.default_rng(0)))
    greedy = model.generate(prompt, 4, top_k=1, rng=np.random.default_rng(5))
    with tnp.no_grad():
        first = int(np.argmax(model(prompt)[0].data[0, -1]))
    assert greedy[0, 3] == first  # top_k=1: the likeliest token, whatever the draw


# --- PyTorch parity ----------------------------------------------------------------------------------


def test_pytorch_parity_float64_logits_loss_and_every_gradient(torch1) -> None:
    torch = torch1
    from benchmarks.gpt_torch import torch_gpt

    model = GPT(SMALL, rng=3, dtype=np.float64)
    ref = torch_gpt(SMALL, model.state_dict(), np.float64)
    x, y = batch(SMALL, b=4, seed=1)
    logits, loss = model(x, y)
    loss.backward()
    t_logits, t_loss = ref(torch.from_numpy(x), torch.from_numpy(y))
    t_loss.backward()
    np.testing.assert_allclose(logits.data, t_logits.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert abs(loss.item() - t_loss.item()) <= 1e-12 * abs(t_loss.item())
    t_params = dict(ref.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name].grad.numpy(), rtol=1e-10, atol=1e-13, err_msg=name)
    # A PyTorch state dict (both tied keys) loads as is.
    again = GPT(SMALL, rng=9, dtype=np.float64)
    again.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    np.testing.assert_array_equal(again(x, y)[0].data, logits.data)
