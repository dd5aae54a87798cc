"""Training: the schedule, the evaluation generator, Ctrl-C and an exact resume, and the first 20 losses
against PyTorch in float64."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
from shakespeare_text import TEXT

from models.shakespeare.data import Vocabulary, get_batch, split_ids
from models.shakespeare.files import load_run
from models.shakespeare.model import GPT, GPTConfig
from models.shakespeare.train import Run, TrainConfig, get_lr, seeds, step, train

VOCAB = Vocabulary.from_text(TEXT)
CONFIG = GPTConfig(vocab_size=len(VOCAB), block_size=8, n_layer=1, n_head=2, n_embd=16)
RECIPE = TrainConfig(
    iterations=12, batch_size=4, warmup_iters=3, lr_decay_iters=12, eval_interval=4, eval_iters=2
)


def ids() -> tuple[np.ndarray, np.ndarray]:
    return split_ids(VOCAB.encode(TEXT * 20))


def fresh(recipe: TrainConfig = RECIPE) -> Run:
    return Run.start(GPT(CONFIG, rng=seeds(recipe.seed)[0]), recipe, VOCAB.chars)


def test_schedule_is_nanogpts() -> None:
    cfg = TrainConfig()
    assert get_lr(0, cfg) == pytest.approx(1e-3 / 101) and get_lr(99, cfg) == pytest.approx(1e-3 * 100 / 101)
    assert get_lr(100, cfg) == pytest.approx(1e-3)
    assert get_lr(1050, cfg) == pytest.approx(1e-4 + 0.5 * 9e-4)  # half-way down the cosine
    assert get_lr(2000, cfg) == pytest.approx(1e-4) and get_lr(5000, cfg) == 1e-4
    short = TrainConfig(iterations=20, lr_decay_iters=20)  # shorter than the warm-up: only warms up
    assert [get_lr(i, short) for i in (0, 19)] == [pytest.approx(1e-3 / 101), pytest.approx(20e-3 / 101)]
    assert get_lr(100, TrainConfig(lr_decay_iters=100)) == 1e-4  # no 0 / 0


def test_estimates_do_not_change_the_training_batches() -> None:
    train_ids, val_ids = ids()
    a = train(fresh(RECIPE), train_ids, val_ids, progress=False, write=lambda s: None)
    more = TrainConfig(**{**vars(RECIPE), "eval_iters": 5, "eval_interval": 3})
    b = train(fresh(more), train_ids, val_ids, progress=False, write=lambda s: None)
    assert a.losses == b.losses and len(a.losses) == 12
    assert [e[0] for e in a.evals] == [0, 4, 8, 12] and [e[0] for e in b.evals] == [0, 3, 6, 9, 12]
    assert a.stop_reason == "completed" and a.val_loss == a.evals[-1][2]


@pytest.mark.parametrize("stop_after", [4, 7])  # at an evaluation step, and between two
def test_ctrl_c_then_resume_is_bit_identical(tmp_path: Path, stop_after: int) -> None:
    train_ids, val_ids = ids()
    lines: list[str] = []
    whole = train(fresh(), train_ids, val_ids, progress=False, write=lines.append)

    def ctrl_c(run: Run) -> None:
        if run.iteration == stop_after:
            os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C: stop after this step

    ckpt = str(tmp_path / "checkpoint.npz")
    part = train(
        fresh(), train_ids, val_ids, checkpoint=ckpt, progress=False, write=lines.append, on_step=ctrl_c
    )
    assert part.stop_reason == "interrupted" and part.iteration == stop_after
    assert lines[-1] == f"interrupted after step {stop_after}: stopping cleanly"
    run = load_run(ckpt, GPT(CONFIG, rng=123), RECIPE, VOCAB.chars)  # other initial weights: all replaced
    rest = train(run, train_ids, val_ids, checkpoint=ckpt, progress=False, write=lines.append)
    assert rest.losses == whole.losses and rest.evals == whole.evals and rest.stop_reason == "completed"
    for (name, a), b in zip(rest.model.named_parameters(), whole.model.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_resume_checks_the_settings(tmp_path: Path) -> None:
    train_ids, val_ids = ids()
    ckpt = str(tmp_path / "checkpoint.npz")
    train(fresh(), train_ids, val_ids, checkpoint=ckpt, progress=False, write=lambda s: None)
    other = TrainConfig(**{**vars(RECIPE), "learning_rate": 2e-3})
    with pytest.raises(ValueError, match="the settings must be the checkpoint's to continue it"):
        load_run(ckpt, GPT(CONFIG, rng=0), other, VOCAB.chars)
    with pytest.raises(
        ValueError, match="--iterations must be more than the 12 steps the checkpoint has done"
    ):
        load_run(ckpt, GPT(CONFIG, rng=0), RECIPE, VOCAB.chars)
    with pytest.raises(ValueError, match="vocabulary must be the checkpoint's"):
        load_run(
            ckpt, GPT(CONFIG, rng=0), TrainConfig(**{**vars(RECIPE), "iterations": 20}), VOCAB.chars[::-1]
        )
    longer = load_run(
        ckpt, GPT(CONFIG, rng=0), TrainConfig(**{**vars(RECIPE), "iterations": 20}), VOCAB.chars
    )
    assert longer.iteration == 12 and longer.cfg.lr_decay_iters == 12  # the schedule continued, not redrawn


def test_first_20_losses_match_pytorch_float64(torch1) -> None:
    """The issue's exactness target: from the same weights and batches, the same 20 losses to 1e-9."""
    torch = torch1
    from benchmarks.gpt_torch import torch_adamw, torch_gpt

    config = GPTConfig(vocab_size=len(VOCAB), block_size=8, n_layer=2, n_head=2, n_embd=16)
    recipe = TrainConfig(batch_size=4, warmup_iters=5, lr_decay_iters=20, learning_rate=3e-3)
    model = GPT(config, rng=0, dtype=np.float64)
    ref = torch_gpt(config, model.state_dict(), np.float64)
    opt = torch_adamw(ref, recipe.weight_decay, recipe.learning_rate, (recipe.beta1, recipe.beta2))
    run = Run.start(model, recipe, VOCAB.chars)
    train_ids, _ = ids()
    rng = np.random.default_rng(0)
    ours, theirs = [], []
    for i in range(20):
        x, y = get_batch(train_ids, config.block_size, recipe.batch_size, rng)
        run.iteration = i
        ours.append(step(run, x, y))
        for group in opt.param_groups:
            group["lr"] = get_lr(i, recipe)
        _, loss = ref(torch.from_numpy(x), torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(ref.parameters(), recipe.grad_clip)
        opt.step()
        theirs.append(loss.item())
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)
    assert theirs[-1] < theirs[0] - 0.15  # it learned something, so the comparison means something
