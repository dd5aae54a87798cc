"""``python -m models.fashion {train,evaluate,predict}``: the Fashion-MNIST classifiers, command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_np as tnp
from models.cat.model import without_dropout  # the same rule as the cat example
from models.run_command import run_command
from tinygrad_np.numerics import softmax
from tinygrad_np.optim import OPTIMIZERS
from tinygrad_np.serialization import atomic_write

from .export_cmd import add_export_parser, cmd_export
from .model import MODELS, describe, load_model, predict_logits
from .outputs import pictures as _pictures
from .outputs import score as _score

DATA_HELP = (
    "folder with the four Fashion-MNIST IDX files (.gz or uncompressed) (default: "
    "$TINYGRAD_NP_DATA/fashion-mnist, else the user cache, else a verified download)"
)
DEFAULTS = {"mlp": {"lr": 1e-3, "epochs": 20}, "cnn": {"lr": 2e-3, "epochs": 10}}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models.fashion", description="Fashion-MNIST classifiers."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model; write weights, plots and metrics.json")
    t.add_argument(
        "--model", choices=sorted(MODELS), default="mlp", help="mlp: 784-256-128-10; cnn: 2 conv blocks"
    )
    t.add_argument("--epochs", type=_positive_int, help="passes over the training split (mlp 20, cnn 10)")
    t.add_argument("--batch-size", type=_positive_int, default=128, help="default: 128")
    t.add_argument("--lr", type=float, help="learning rate (default: mlp 1e-3, cnn 2e-3)")
    t.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="default: adam")
    t.add_argument("--momentum", type=float, default=0.0, help="sgd momentum (default: 0)")
    t.add_argument("--weight-decay", type=float, default=0.0, help="L2 (sgd, adam) or decoupled (adamw)")
    t.add_argument("--schedule", choices=("cosine", "constant"), default="cosine", help="lr schedule")
    t.add_argument(
        "--dropout",
        type=float,
        default=0.0,
        help="dropout after each hidden ReLU (mlp) or before the head (cnn)",
    )
    t.add_argument("--batchnorm", choices=("on", "off"), help="BatchNorm layers (default: mlp off, cnn on)")
    t.add_argument("--hidden", type=_sizes, help="mlp hidden sizes, e.g. 256,128 (default)")
    t.add_argument("--channels", type=_sizes, help="cnn channels per block, e.g. 32,64 (default)")
    t.add_argument("--seed", type=int, default=0, help="seed of the init, dropout and shuffling (default: 0)")
    t.add_argument(
        "--val-size",
        type=int,
        default=5000,
        help="validation images carved out of the training set (default: 5000; 0: none)",
    )
    t.add_argument("--val-seed", type=int, default=0, help="seed of the validation split (default: 0)")
    t.add_argument(
        "--test",
        action="store_true",
        help="also score the test set at the end (do it once, for the final numbers)",
    )
    t.add_argument("--limit", type=_positive_int, help="use only the first N training images (quick runs)")
    t.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    t.add_argument("--data", metavar="DIR", help=DATA_HELP)
    t.add_argument("--out", metavar="DIR", help="output folder (default: runs/fashion-MODEL-DATE-TIME)")
    t.add_argument(
        "--checkpoint", action="store_true", help="write OUT/checkpoint.npz after every epoch (and on Ctrl-C)"
    )
    t.add_argument("--resume", metavar="FILE", help="continue from a checkpoint.npz of the same settings")

    e = sub.add_parser("evaluate", help="test accuracy, per-class precision / recall / F1, confusion matrix")
    e.add_argument("--weights", required=True, metavar="FILE")
    e.add_argument("--data", metavar="DIR", help=DATA_HELP)
    e.add_argument("--limit", type=_positive_int, help="use only the first N test images")

    p = sub.add_parser("predict", help="classify pictures (any size; made 28×28 grayscale)")
    p.add_argument("--weights", required=True, metavar="FILE")
    p.add_argument("--invert", action="store_true", help="for dark articles on a light background")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    add_export_parser(sub)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be comma-separated integers such as 256,128, got {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be at least 1, got {text!r}")
    return sizes


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
    if args.model == "mlp" and args.hidden:
        kwargs["hidden"] = args.hidden
    if args.model == "cnn" and args.channels:
        kwargs["channels"] = args.channels
    if (args.hidden and args.model != "mlp") or (args.channels and args.model != "cnn"):
        raise ValueError("--hidden is for --model mlp and --channels for --model cnn")
    return MODELS[args.model](**kwargs)


SETTINGS = (
    "model", "epochs", "batch_size", "lr", "optimizer", "momentum", "weight_decay", "schedule", "dropout",
    "batchnorm", "hidden", "channels", "seed", "val_size", "val_seed", "limit", "dtype",
)  # fmt: skip


def cmd_train(args: argparse.Namespace) -> int:
    """Train on the training split, score validation (and test with --test), write the run folder;
    0, or 130 after Ctrl-C."""
    from tinygrad_np.data.datasets import load_fashion_mnist

    from .train import split_train_val

    args.lr = DEFAULTS[args.model]["lr"] if args.lr is None else args.lr
    args.epochs = args.epochs or DEFAULTS[args.model]["epochs"]
    data = load_fashion_mnist(args.data, dtype=args.dtype)
    x_pool, y_pool = data.x_train[: args.limit], data.y_train[: args.limit]
    x_train, y_train, x_val, y_val = split_train_val(x_pool, y_pool, args.val_size, seed=args.val_seed)
    model = _build(args)
    fresh = not args.out
    out = _fresh_run_dir(args.model) if fresh else Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"Data: {data.source} ({len(y_train)} train, {len(y_val)} validation images)")
    print(
        f"Model: {args.model} [{describe(model)}], seed {args.seed}, {args.dtype}, "
        f"{args.optimizer} lr {args.lr} ({args.schedule}), batch size {args.batch_size}, {args.epochs} epochs"
    )
    start = time.perf_counter()
    try:
        history = _fit(args, model, (x_train, y_train), (x_val, y_val), out)
    except BaseException:
        if fresh and not any(out.iterdir()):
            out.rmdir()  # a failed run leaves no empty run folder behind
        raise
    seconds = time.perf_counter() - start
    interrupted = history.stop_reason == "interrupted"
    if interrupted:
        print(f"Interrupted after {len(history)} epochs: keeping the weights trained so far.")
    model = without_dropout(model)
    tnp.save(model, out / "weights.npz")
    splits = [("validation", x_val, y_val)] + ([("test", data.x_test, data.y_test)] if args.test else [])
    results = _score(model, splits, data.classes)
    pictures = _pictures(
        args, model, history, results, dict((n, (x, y)) for n, x, y in splits), data.classes, out
    )
    metrics = {
        "settings": {k: getattr(args, k) for k in SETTINGS}
        | {"data": data.source, "architecture": describe(model), "stop_reason": history.stop_reason}
        | {"train_images": len(y_train)},
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
    args: argparse.Namespace, model: tnp.Sequential, train_data: tuple, val_data: tuple, out: Path
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
        seed=args.seed,
        checkpoint=str(out / "checkpoint.npz") if args.checkpoint else None,
        resume_from=args.resume,
    )


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tinygrad_np.data.datasets import load_fashion_mnist

    from .report import format_report, multiclass_report

    model = load_model(args.weights)
    data = load_fashion_mnist(args.data, dtype=model.dtype or np.float32)
    x, y = data.x_test[: args.limit], data.y_test[: args.limit]
    r = multiclass_report(y, predict_logits(model, x), data.classes)
    print(f"Weights: {args.weights} [{describe(model)}]\nData: {data.source}")
    print(f"Test accuracy: {r['accuracy']:.4f} ({r['correct']}/{r['total']})")
    print(format_report(r))
    print("Confusion matrix (rows: true class, columns: predicted):")
    print(np.array(r["confusion_matrix"]))
    return 0


def load_picture(path: str, invert: bool = False) -> np.ndarray:
    """Any picture -> (1, 28, 28) float in [0, 1], grayscale; Fashion-MNIST's articles are light on dark,
    so a photo of a dark article on a light background wants ``invert``."""
    from tinygrad_np.data.datasets import load_image

    rgb = load_image(path, size=28).astype(np.float64) / 255
    gray = rgb @ np.array([0.299, 0.587, 0.114])
    return (1 - gray if invert else gray)[None]


def cmd_predict(args: argparse.Namespace) -> int:
    from tinygrad_np.data.datasets import FASHION_MNIST_CLASSES, ImageLoadError

    model = load_model(args.weights)
    failed = 0
    for path in args.images:
        try:
            image = load_picture(path, args.invert)
        except ImageLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        logits = predict_logits(model, image[None]).astype(np.float64)[0]
        p = softmax(logits)
        k = int(np.argmax(p))
        print(f"{path}: {FASHION_MNIST_CLASSES[k]} (P = {p[k]:.4f})")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (1: some image failed, 2: bad input)."""
    args = build_parser().parse_args(argv)
    command = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "export": cmd_export}[
        args.command
    ]
    return run_command(command, args)
