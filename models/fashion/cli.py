"""``python -m models.fashion {train,evaluate,predict,export}``: the Fashion-MNIST classifiers, command line.

Exit codes: 0 done; 1 some image given to ``predict`` failed; 2 bad input (one ``error:`` line);
130 interrupted with Ctrl-C (after saving what was trained so far).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import tinygrad_np as tnp
from models.cli_args import non_negative_float, non_negative_int, positive_float, positive_int
from models.resume_settings import RESUME_RULE
from models.run_command import run_command
from tinygrad_np.numerics import softmax
from tinygrad_np.optim import OPTIMIZERS

from .export_cmd import add_export_parser, cmd_export
from .model import MODELS, describe, load_model, predict_logits
from .train import SCHEDULES
from .train_cmd import cmd_train
from .train_options import add_recipe_options

DATA_HELP = (
    "folder with the four Fashion-MNIST IDX files (.gz or uncompressed) (default: "
    "$TINYGRAD_NP_DATA/fashion-mnist, else the user cache, else a verified download)"
)
EPILOG = "Exit codes: 0 done, 1 an image failed (predict), 2 bad input, 130 interrupted (Ctrl-C)."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models.fashion", description="Fashion-MNIST classifiers.", epilog=EPILOG
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s (tinygrad_np {tnp.__version__})")
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub)
    e = sub.add_parser("evaluate", help="test accuracy, per-class precision / recall / F1, confusion matrix")
    e.add_argument("--weights", required=True, metavar="FILE")
    e.add_argument("--data", metavar="DIR", help=DATA_HELP)
    e.add_argument("--limit", type=positive_int, help="use only the first N test images")
    p = sub.add_parser("predict", help="classify pictures (any size; made 28×28 grayscale)")
    p.add_argument("--weights", required=True, metavar="FILE")
    p.add_argument("--invert", action="store_true", help="for dark articles on a light background")
    p.add_argument("--grid", metavar="FILE.png", help="also write a grid of the pictures with their verdicts")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    add_export_parser(sub)
    return parser


def _train_parser(sub: argparse._SubParsersAction) -> None:
    """train's options; those a resume keeps default to None here (train_cmd.py resolves them)."""
    t = sub.add_parser("train", help="train a model; write weights, plots and metrics.json", epilog=EPILOG)
    t.add_argument(
        "--model", choices=sorted(MODELS), help="mlp (default): 784-256-128-10; cnn: 2 conv blocks"
    )
    t.add_argument("--epochs", type=positive_int, help="passes over the training split (mlp 20, cnn 10)")
    t.add_argument("--batch-size", type=positive_int, help="default: 128")
    t.add_argument("--lr", type=positive_float("--lr"), help="learning rate (default: mlp 1e-3, cnn 2e-3)")
    t.add_argument("--optimizer", choices=OPTIMIZERS, help="default: adam")
    t.add_argument("--momentum", type=non_negative_float("--momentum"), help="sgd momentum (default: 0)")
    t.add_argument(
        "--weight-decay",
        type=non_negative_float("--weight-decay"),
        help="L2 (sgd, adam) or decoupled (adamw) (default: 0)",
    )
    t.add_argument(
        "--schedule",
        choices=SCHEDULES,
        help="lr schedule: cosine (default; to 0 over --epochs, per epoch), constant, or warmup-cosine "
        "(per step: linear warm-up over --warmup-epochs, then cosine to 0 at the last step)",
    )
    t.add_argument(
        "--dropout",
        type=float,
        help="dropout after each hidden ReLU, and before the head (cnn) (default: 0)",
    )
    t.add_argument("--batchnorm", choices=("on", "off"), help="BatchNorm layers (default: mlp off, cnn on)")
    t.add_argument(
        "--hidden", type=_sizes, help="hidden Linear sizes: mlp 256,128 (default); cnn: in its head (none)"
    )
    t.add_argument("--channels", type=_sizes, help="cnn channels per block, e.g. 32,64 (default)")
    t.add_argument(
        "--seed", type=non_negative_int("--seed"), help="seed of the init, dropout and shuffling (default: 0)"
    )
    t.add_argument(
        "--val-size",
        type=non_negative_int("--val-size"),
        help="validation images carved out of the training set (default: 5000; 0: none)",
    )
    t.add_argument(
        "--val-seed", type=non_negative_int("--val-seed"), help="seed of the validation split (default: 0)"
    )
    t.add_argument(
        "--test",
        action="store_true",
        help="also score the test set at the end (do it once, for the final numbers)",
    )
    t.add_argument("--limit", type=positive_int, help="use only the first N training images (quick runs)")
    t.add_argument("--dtype", choices=("float32", "float64"), help="default: float32")
    t.add_argument("--data", metavar="DIR", help=DATA_HELP)
    t.add_argument("--out", metavar="DIR", help="output folder (default: runs/fashion-MODEL-DATE-TIME)")
    t.add_argument(
        "--checkpoint",
        action="store_true",
        help="write OUT/checkpoint.npz for --resume: after the first epoch, then at most every "
        "--checkpoint-every seconds, after the last epoch and on Ctrl-C",
    )
    t.add_argument(
        "--checkpoint-every",
        type=non_negative_float("--checkpoint-every"),
        default=5.0,
        metavar="SECONDS",
        help="the least time between two checkpoints (default: 5; 0: after every epoch)",
    )
    t.add_argument("--resume", metavar="FILE", help=f"{RESUME_RULE}; --epochs counts the total")
    add_recipe_options(t)


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


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tinygrad_np.data.datasets import load_fashion_mnist

    from .report import format_report, multiclass_report

    model = load_model(args.weights)
    data = load_fashion_mnist(args.data, dtype=model.dtype or np.float32)
    x, y = data.x_test[: args.limit], data.y_test[: args.limit]
    if len(y) == 0:
        raise ValueError(
            f"{data.source}: the test set must hold at least one image to evaluate, got 0 (its IDX files "
            "are valid but empty); use the Fashion-MNIST test files"
        )
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
    shown: list[tuple[np.ndarray, str, str, float]] = []
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
        shown.append((image[0], Path(path).name, FASHION_MNIST_CLASSES[k], float(p[k])))
    if args.grid and shown:
        from .plots import save_prediction_grid

        save_prediction_grid(shown, args.grid)
        print(f"Wrote {args.grid} ({len(shown)} pictures)")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (1: some image failed, 2: bad input)."""
    args = build_parser().parse_args(argv)
    command = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "export": cmd_export}[
        args.command
    ]
    return run_command(command, args)
