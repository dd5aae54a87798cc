"""``python -m models.fashion train``: settings (a resume keeps the checkpoint's), data split, training
and the run folder (the parser is in cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import tinygrad_np as tnp
from models.cat.model import without_dropout  # the same rule as the cat example
from models.resume_settings import resolve_settings, settings_extra
from tinygrad_np.serialization import atomic_write

from .model import MODELS, describe
from .outputs import pictures as _pictures
from .outputs import score as _score
from .train_options import augment_transform

DEFAULTS = {"mlp": {"lr": 1e-3, "epochs": 20}, "cnn": {"lr": 2e-3, "epochs": 10}}
# The settings a checkpoint records and a resume keeps (models/resume_settings.py): option and default
# (lr: by model, below). The validation split (val_size, val_seed, limit) is among them, so a resume
# never redraws it over images already trained on.
RESUMED = {
    "model": "--model", "batch_size": "--batch-size", "lr": "--lr", "optimizer": "--optimizer",
    "momentum": "--momentum", "weight_decay": "--weight-decay", "schedule": "--schedule",
    "dropout": "--dropout", "batchnorm": "--batchnorm", "hidden": "--hidden", "channels": "--channels",
    "seed": "--seed", "val_size": "--val-size", "val_seed": "--val-seed", "limit": "--limit",
    "dtype": "--dtype", "augment": "--augment", "label_smoothing": "--label-smoothing",
    "warmup_epochs": "--warmup-epochs", "convs_per_block": "--convs-per-block",
}  # fmt: skip
RESUMED_DEFAULTS: dict[str, Any] = {
    "model": "mlp", "batch_size": 128, "optimizer": "adam", "momentum": 0.0, "weight_decay": 0.0,
    "schedule": "cosine", "dropout": 0.0, "seed": 0, "val_size": 5000, "val_seed": 0, "dtype": "float32",
    "augment": "none", "label_smoothing": 0.0, "warmup_epochs": 1, "convs_per_block": 1,
}  # fmt: skip
# --epochs and --time-budget count the whole run: a resume may raise them (the budget's spent time is in
# the checkpoint).
SETTINGS = ("model", "epochs", "time_budget", *[k for k in RESUMED if k != "model"])


def _fresh_run_dir(model: str) -> Path:
    base = Path("runs") / f"fashion-{model}-{time.strftime('%Y%m%d-%H%M%S')}"
    for k in range(1, 1000):
        out = base if k == 1 else base.with_name(f"{base.name}-{k}")
        try:
            out.mkdir(parents=True)
            return out
        except FileExistsError:
            continue
    raise FileExistsError(f"{base}: could not create a fresh run folder")


def _build(args: argparse.Namespace) -> tnp.Sequential:
    kwargs: dict = {"dropout": args.dropout, "seed": args.seed, "dtype": args.dtype}
    if args.batchnorm is not None:
        kwargs["batchnorm"] = args.batchnorm == "on"
    if args.hidden:
        kwargs["hidden"] = args.hidden
    if args.model == "cnn" and args.channels:
        kwargs["channels"] = args.channels
    if args.model == "cnn" and args.convs_per_block > 1:
        kwargs["convs_per_block"] = args.convs_per_block
    if args.channels and args.model != "cnn":
        raise ValueError(f"--channels is for --model cnn, got --model {args.model}")
    if args.convs_per_block > 1 and args.model != "cnn":
        raise ValueError(f"--convs-per-block is for --model cnn, got --model {args.model}")
    return MODELS[args.model](**kwargs)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """Resolve the settings (a resume's from its checkpoint); returns the checkpoint's ({} if none)."""
    warmup_given = args.warmup_epochs is not None
    saved = resolve_settings(args, RESUMED, RESUMED_DEFAULTS)
    if warmup_given and args.schedule != "warmup-cosine":
        raise ValueError(f"--warmup-epochs is for --schedule warmup-cosine, got --schedule {args.schedule}")
    args.lr = DEFAULTS[args.model]["lr"] if args.lr is None else args.lr
    args.epochs = args.epochs or DEFAULTS[args.model]["epochs"]
    if args.resume:
        done = int(tnp.load_checkpoint(args.resume)["epoch"])
        if args.epochs < done:
            raise ValueError(
                f"{args.resume}: the checkpoint has completed {done} epochs; --epochs counts the total, so "
                f"give at least {done}"
            )
    return saved


def cmd_train(args: argparse.Namespace) -> int:
    """Train on the training split, score validation (and test with --test), write the run folder;
    0, or 130 after Ctrl-C."""
    from tinygrad_np.data.datasets import load_fashion_mnist

    from .train import split_train_val

    saved = _settings(args)
    data = load_fashion_mnist(args.data, dtype=args.dtype)
    x_pool, y_pool = data.x_train[: args.limit], data.y_train[: args.limit]
    x_train, y_train, x_val, y_val = split_train_val(x_pool, y_pool, args.val_size, seed=args.val_seed)
    if "train_images" in saved and saved["train_images"] != len(y_train):
        raise ValueError(
            f"{args.resume}: the training split must have the checkpoint's {saved['train_images']} images, "
            f"got {len(y_train)} ({data.source}); resume with the same --data"
        )
    model = _build(args)
    fresh = not args.out
    out = _fresh_run_dir(args.model) if fresh else Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"Data: {data.source} ({len(y_train)} train, {len(y_val)} validation images)")
    print(
        f"Model: {args.model} [{describe(model)}], seed {args.seed}, {args.dtype}, "
        f"{args.optimizer} lr {args.lr} ({args.schedule}), batch size {args.batch_size}, {args.epochs} epochs"
        + (f", augment {args.augment}" if args.augment != "none" else "")
        + (f", label smoothing {args.label_smoothing}" if args.label_smoothing else "")
        + (f", time budget {args.time_budget:g} s" if args.time_budget else "")
        + (f", resumed from {args.resume}" if args.resume else "")
    )
    recorded = {k: getattr(args, k) for k in RESUMED} | {"train_images": len(y_train)}
    start = time.perf_counter()
    try:
        history = _fit(args, model, (x_train, y_train), (x_val, y_val), out, recorded)
    except BaseException:
        if fresh and not any(out.iterdir()):
            out.rmdir()  # a failed run leaves no empty run folder behind
        raise
    seconds = time.perf_counter() - start
    interrupted = history.stop_reason == "interrupted"
    if interrupted:
        print(f"Interrupted after {len(history)} epochs: keeping the weights trained so far.")
    if history.stop_reason == "time budget":
        budget = f"{args.time_budget:g} s"
        print(f"Stopped by the time budget ({budget}) after epoch {len(history)} of {args.epochs}.")
    model = without_dropout(model)
    tnp.save(model, out / "weights.npz")
    splits = [("validation", x_val, y_val)] + ([("test", data.x_test, data.y_test)] if args.test else [])
    results = _score(model, splits, data.classes)
    pictures = _pictures(
        args, model, history, results, dict((n, (x, y)) for n, x, y in splits), data.classes, out
    )
    metrics = {
        "settings": {k: getattr(args, k) for k in SETTINGS}
        | {"resume": args.resume, "data": data.source, "architecture": describe(model)}
        | {"stop_reason": history.stop_reason, "train_images": len(y_train)},
        "history": {k: history[k] for k in history.keys()},
        **results,
        "seconds": round(seconds, 3),
    }
    with atomic_write(out / "metrics.json") as f:
        f.write((json.dumps(metrics, indent=2) + "\n").encode())
    print(f"Wrote {out}/: {', '.join(pictures)}, metrics.json ({seconds:.1f} s of training)")
    if interrupted:
        ckpt = out / "checkpoint.npz"
        hint = (
            f"run the same command with --resume {ckpt}" if ckpt.is_file() else "add --checkpoint next time"
        )
        print(f"To continue, {hint}", file=sys.stderr)
        return 130
    return 0


def _fit(
    args: argparse.Namespace,
    model: tnp.Sequential,
    train_data: tuple,
    val_data: tuple,
    out: Path,
    recorded: dict[str, Any],
) -> Any:
    from .train import train

    return train(
        model,
        *train_data,
        validation_data=val_data if len(val_data[1]) else None,
        epochs=args.epochs,
        lr=args.lr,
        optimizer=args.optimizer,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        batch_size=args.batch_size,
        schedule=args.schedule,
        warmup_epochs=args.warmup_epochs,
        label_smoothing=args.label_smoothing,
        transform=augment_transform(args.augment),
        time_budget=args.time_budget,
        seed=args.seed,
        checkpoint=str(out / "checkpoint.npz") if args.checkpoint else None,
        checkpoint_every=args.checkpoint_every,
        checkpoint_extra=settings_extra(recorded),
        resume_from=args.resume,
    )
