"""The shakespeare CLI's commands: ``train``, ``sample`` and ``evaluate`` (argument parsing is in cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.cat.commands import _resume_hint  # the same hint as the cat example
from tinygrad_np.serialization import atomic_write

from .cli import configs
from .data import Vocabulary, load_text, split_ids
from .files import load_run, load_weights, save_weights
from .model import GPT
from .train import Run, estimate_loss, seeds, train


def cmd_train(args: argparse.Namespace) -> int:
    """Train, write the run folder; 0, or 130 after Ctrl-C."""
    text, source = load_text(args.data)
    vocab = Vocabulary.from_text(text)
    train_ids, val_ids = split_ids(vocab.encode(text, source))
    config, recipe = configs(args, len(vocab))
    model = GPT(config, rng=seeds(recipe.seed)[0], dtype=args.dtype)
    run = (
        load_run(args.resume, model, recipe, vocab.chars)
        if args.resume
        else Run.start(model, recipe, vocab.chars)
    )
    out, created = _out_dir(args.out)
    print(
        f"Data: {source} ({len(train_ids):,} train, {len(val_ids):,} validation characters, "
        f"{len(vocab)} distinct)"
    )
    print(
        f"Model: GPT, n_layer {config.n_layer}, n_head {config.n_head}, n_embd {config.n_embd}, block_size "
        f"{config.block_size}, {model.num_params():,} parameters, {args.dtype}, seed {recipe.seed}"
    )
    print(
        f"Recipe: AdamW lr {recipe.learning_rate:g} ({recipe.warmup_iters} warm-up steps, cosine to "
        f"{recipe.min_lr:g} at step {run.cfg.lr_decay_iters}), betas ({recipe.beta1}, {recipe.beta2}), "
        f"weight decay {recipe.weight_decay:g} on matrices, clip {recipe.grad_clip:g}, "
        f"batch {recipe.batch_size}, {recipe.iterations} iterations"
        + (f", resumed at step {run.iteration} from {args.resume}" if args.resume else "")
    )
    try:
        train(run, train_ids, val_ids, checkpoint=str(out / "checkpoint.npz") if args.checkpoint else None)
    except BaseException:
        if created and not any(out.iterdir()):
            out.rmdir()  # a failed run leaves no empty run folder behind
        raise
    interrupted = run.stop_reason == "interrupted"
    if interrupted:
        print(f"Interrupted after {run.iteration} iterations: keeping the weights trained so far.")
    else:
        print(f"val loss {run.val_loss:.4f}")
    written = _write_outputs(args, run, source, out)
    print(f"Wrote {out}/: {', '.join(written)} ({run.seconds:.1f} s of training)")
    return _resume_hint(out) if interrupted else 0


def _out_dir(out: str | None) -> tuple[Path, bool]:
    """The output folder (a new ``runs/shakespeare-TIME`` when ``out`` is None), created; and whether
    this run created it."""
    if out is not None:
        path = Path(out)
        created = not path.exists()
        path.mkdir(parents=True, exist_ok=True)
        return path, created
    base = Path("runs") / f"shakespeare-{time.strftime('%Y%m%d-%H%M%S')}"
    for k in range(1, 1000):
        path = base if k == 1 else base.with_name(f"{base.name}-{k}")
        try:
            path.mkdir(parents=True)
            return path, True
        except FileExistsError:
            continue
    raise FileExistsError(f"{base}: could not create a fresh run folder; give --out")


def _write_outputs(args: argparse.Namespace, run: Run, source: str, out: Path) -> list[str]:
    """weights.npz, loss_curve.png (when matplotlib is installed) and metrics.json."""
    save_weights(run.model, run.vocab, out / "weights.npz")
    written = ["weights.npz"]
    try:
        from .plots import save_loss_curve

        c = run.model.config
        title = f"GPT {c.n_layer}x{c.n_embd}, {c.n_head} heads, context {c.block_size}, seed {run.cfg.seed}"
        save_loss_curve(run.losses, run.evals, out / "loss_curve.png", title=title)
        written.append("loss_curve.png")
    except ModuleNotFoundError as exc:
        print(f"note: no loss_curve.png ({exc.name} missing: pip install -e '.[cat]')", file=sys.stderr)
    steps = max(run.iteration, 1)
    metrics: dict[str, Any] = {
        "settings": {"model": run.model.config.as_dict(), "train": vars(run.cfg) | {}, "dtype": args.dtype}
        | {"data": source, "resume": args.resume, "stop_reason": run.stop_reason},
        "val_loss": run.val_loss,
        "train_loss": run.evals[-1][1] if run.evals else None,
        "evals": [{"step": s, "train_loss": t, "val_loss": v} for s, t, v in run.evals],
        "losses": run.losses,
        "iterations": run.iteration,
        "seconds": round(run.seconds, 3),
        "seconds_per_iteration": round(run.seconds / steps, 5),
    }
    with atomic_write(out / "metrics.json") as f:
        f.write((json.dumps(metrics, indent=2) + "\n").encode())
    return [*written, "metrics.json"]


def cmd_sample(args: argparse.Namespace) -> int:
    """Print the prompt continued by ``--tokens`` generated characters."""
    model, chars = load_weights(args.weights)
    if not args.prompt:
        raise ValueError("--prompt must hold at least one character, got ''")
    prompt = Vocabulary(chars).encode(args.prompt, "--prompt")
    rng = np.random.default_rng(args.seed)
    ids = model.generate(
        prompt[None, :], args.tokens, temperature=args.temperature, top_k=args.top_k, rng=rng
    )
    print(Vocabulary(chars).decode(ids[0]))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Print the estimated train and validation losses of ``--weights`` on the text of ``--data``."""
    model, chars = load_weights(args.weights)
    text, source = load_text(args.data)
    train_ids, val_ids = split_ids(Vocabulary(chars).encode(text, source))
    rng = seeds(args.seed)[2]
    losses = estimate_loss(model, {"train": train_ids, "val": val_ids}, args.batch_size, args.eval_iters, rng)
    print(f"Weights: {args.weights} ({model.extra_repr()})\nData: {source}")
    print(f"train loss {losses['train']:.4f}")
    print(f"val loss {losses['val']:.4f}")
    return 0
