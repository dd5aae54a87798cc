"""Training the GPT: nanoGPT's loop (random batches, warm-up then cosine learning rate, gradient clipping,
AdamW), its ``estimate_loss``, and a Ctrl-C that stops after the step under way, resumable exactly.

    run = Run.start(model, TrainConfig(iterations=2000), vocab)
    train(run, train_ids, val_ids, checkpoint="out/checkpoint.npz")

Three random streams, all from ``seed``: the model's initial weights (built by the caller), the training
batches and the evaluation batches, so that estimating the loss never changes which batches train.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import tinygrad_np as tnp
from tinygrad_np.train.progress import Progress, SigintFlag

from .data import get_batch
from .model import GPT


@dataclass(frozen=True)
class TrainConfig:
    """The recipe. The defaults are nanoGPT's CPU run of ``shakespeare_char`` (its README)."""

    iterations: int = 2000  # optimisation steps (nanoGPT's max_iters)
    batch_size: int = 12
    learning_rate: float = 1e-3
    min_lr: float = 1e-4  # where the cosine ends
    warmup_iters: int = 100
    lr_decay_iters: int = 2000  # the cosine's length (nanoGPT sets it to max_iters)
    weight_decay: float = 0.1  # on matrices only (see GPT.configure_optimizers)
    beta1: float = 0.9
    beta2: float = 0.99
    grad_clip: float = 1.0  # the gradients' total norm is scaled down to at most this (0: off)
    eval_interval: int = 250  # estimate the losses every this many steps, and at the end
    eval_iters: int = 200  # batches per estimate
    seed: int = 1337  # nanoGPT's


def seeds(seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Independent generators for (the initial weights, the training batches, the evaluation batches)."""
    init, batches, evals = np.random.SeedSequence(seed).spawn(3)
    return np.random.default_rng(init), np.random.default_rng(batches), np.random.default_rng(evals)


def get_lr(it: int, cfg: TrainConfig) -> float:
    """nanoGPT's schedule (``tnp.optim.cosine_warmup_lr``): linear warm-up over ``warmup_iters`` steps,
    then a cosine from ``learning_rate`` down to ``min_lr`` at ``lr_decay_iters``, then ``min_lr``."""
    if cfg.warmup_iters <= it == cfg.lr_decay_iters:
        return cfg.min_lr  # the cosine's end (said here too for a warm-up as long as the decay: no 0 / 0)
    return tnp.optim.cosine_warmup_lr(it, cfg.learning_rate, cfg.min_lr, cfg.warmup_iters, cfg.lr_decay_iters)


def estimate_loss(
    model: GPT, splits: dict[str, np.ndarray], batch_size: int, eval_iters: int, rng: np.random.Generator
) -> dict[str, float]:
    """The mean loss over ``eval_iters`` random batches of each split (nanoGPT's ``estimate_loss``)."""
    out = {}
    with tnp.no_grad():
        for name, ids in splits.items():
            losses = [
                float(model(*get_batch(ids, model.config.block_size, batch_size, rng))[1].item())
                for _ in range(eval_iters)
            ]
            out[name] = float(np.mean(losses))
    return out


@dataclass
class Run:
    """Everything a resumed run needs to continue exactly: the model, optimiser, step count, both batch
    generators and the history so far."""

    model: GPT
    cfg: TrainConfig
    vocab: str
    optimizer: tnp.optim.AdamW
    train_rng: np.random.Generator
    eval_rng: np.random.Generator
    iteration: int = 0  # steps done
    losses: list[float] = field(default_factory=list)  # the training loss of every step
    evals: list[tuple[int, float, float]] = field(default_factory=list)  # (step, train loss, val loss)
    seconds: float = 0.0  # of training (estimates included), summed over resumes
    stop_reason: str = ""  # "completed" or "interrupted" once train() returns

    @classmethod
    def start(cls, model: GPT, cfg: TrainConfig, vocab: str) -> Run:
        _, train_rng, eval_rng = seeds(cfg.seed)
        opt = model.configure_optimizers(cfg.weight_decay, cfg.learning_rate, (cfg.beta1, cfg.beta2))
        return cls(model, cfg, vocab, opt, train_rng, eval_rng)

    @property
    def val_loss(self) -> float | None:
        return self.evals[-1][2] if self.evals else None


def train(
    run: Run,
    train_ids: np.ndarray,
    val_ids: np.ndarray,
    *,
    checkpoint: str | None = None,
    progress: bool | None = None,
    write: Callable[[str], None] = print,
    on_step: Callable[[Run], None] | None = None,
) -> Run:
    """Train ``run`` up to ``run.cfg.iterations`` steps; estimate the losses every ``eval_interval``
    steps and at the end. The first Ctrl-C stops after the step under way (``stop_reason`` "interrupted",
    a checkpoint written if ``checkpoint`` names one); a second stops at once. ``on_step(run)`` is called
    after every step. ``progress``: a bar with the loss (default: when stderr is a terminal)."""
    from .files import save_checkpoint

    cfg, model = run.cfg, run.model
    show = Progress("bar" if (sys.stderr.isatty() if progress is None else progress) else "none",
                    cfg.iterations, run.iteration, None, unit="iteration")  # fmt: skip
    say = show.message if show.bar is not None else write
    splits = {"train": train_ids, "val": val_ids}
    started = time.perf_counter() - run.seconds
    sigint = SigintFlag()
    try:
        with sigint:
            while True:
                it = run.iteration
                if it % cfg.eval_interval == 0 or it == cfg.iterations:
                    _evaluate(run, splits, say)
                if it >= cfg.iterations:
                    run.stop_reason = "completed"
                    break
                run.losses.append(step(run, *get_batch(train_ids, model.config.block_size, cfg.batch_size,
                                                       run.train_rng)))  # fmt: skip
                run.iteration += 1
                run.seconds = time.perf_counter() - started
                show.batch(run.losses[-1])
                show.epoch_end(run.iteration, {"loss": run.losses[-1]})
                if on_step is not None:
                    on_step(run)
                if checkpoint and run.iteration % cfg.eval_interval == 0:
                    save_checkpoint(run, checkpoint)
                if sigint.requested:
                    run.stop_reason = "interrupted"
                    break
    finally:
        show.close()
    run.seconds = time.perf_counter() - started
    if run.stop_reason == "interrupted":
        say(f"interrupted after step {run.iteration}: stopping cleanly")
        if checkpoint:
            save_checkpoint(run, checkpoint)
    return run


def step(run: Run, x: np.ndarray, y: np.ndarray) -> float:
    """One optimisation step on the batch (x, y): set the learning rate, forward, backward, clip the
    gradients' total norm, AdamW. Returns the batch's loss (before the step)."""
    lr = get_lr(run.iteration, run.cfg)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    _, loss = run.model(x, y)
    run.optimizer.zero_grad()
    loss.backward()
    if run.cfg.grad_clip > 0:
        tnp.optim.clip_grad_norm_(run.model.parameters(), run.cfg.grad_clip)
    run.optimizer.step()
    return float(loss.item())


def _evaluate(run: Run, splits: dict[str, np.ndarray], say: Callable[[str], None]) -> None:
    est = estimate_loss(run.model, splits, run.cfg.batch_size, run.cfg.eval_iters, run.eval_rng)
    run.evals.append((run.iteration, est["train"], est["val"]))
    say(f"step {run.iteration}: train loss {est['train']:.4f}, val loss {est['val']:.4f}")
