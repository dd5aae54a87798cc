"""``python -m models.cat {train,evaluate,predict}``: the cat classifier from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import tinygrad_np as tnp
from tinygrad_np.optim import OPTIMIZERS
from tinygrad_np.serialization import atomic_write

from .export_cmd import add_export_parser, cmd_export
from .model import INITS, MODELS, layer_sizes, load_model, predict_proba, without_dropout

CLASSES = ("non-cat", "cat")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models.cat", description="The course's cat / non-cat classifier."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    data_help = (
        "folder with train_catvnoncat.h5 and test_catvnoncat.h5, or with train/ and test/ image "
        "folders (default: $TINYGRAD_NP_DATA, else the user cache, else a verified download)"
    )

    t = sub.add_parser("train", help="train a model, write weights, plots and metrics.json")
    t.add_argument(
        "--model",
        choices=sorted(MODELS),
        default="deep",
        help="deep: 12288-20-7-5-1 (default); two-layer: 12288-7-1",
    )
    t.add_argument(
        "--iterations",
        type=_positive_int,
        default=2500,
        help="full-batch gradient-descent steps (default: 2500)",
    )
    t.add_argument("--lr", type=float, default=0.0075, help="learning rate (default: 0.0075)")
    t.add_argument(
        "--init",
        choices=INITS,
        default="course",
        help="course (default): the course's exact draws; he: He normal",
    )
    t.add_argument("--seed", type=int, default=1, help="random seed of the init (default: 1)")
    t.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="float type of data and weights (default: float64)",
    )
    t.add_argument("--data", metavar="DIR", help=data_help)
    t.add_argument("--out", metavar="DIR", help="output folder (default: a new runs/... folder)")
    g = t.add_argument_group("beyond the course's gradient descent")
    g.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd", help="default: sgd (plain GD)")
    g.add_argument("--momentum", type=float, default=0.0, help="sgd momentum (default: 0)")
    g.add_argument("--weight-decay", type=float, default=0.0, help="L2 (sgd, adam) or decoupled (adamw)")
    g.add_argument(
        "--batch-size", type=_positive_int, help="mini-batches, shuffled every epoch (default: full batch)"
    )
    g.add_argument(
        "--epochs",
        type=_positive_int,
        help="passes over the training set (default: --iterations; full batch: 1 epoch = 1 iteration)",
    )
    g.add_argument("--dropout", type=float, default=0.0, help="dropout after every hidden ReLU (default: 0)")
    g.add_argument(
        "--checkpoint",
        action="store_true",
        help="write OUT/checkpoint.npz after every epoch (and on Ctrl-C), for --resume",
    )
    g.add_argument("--resume", metavar="FILE", help="continue from a checkpoint.npz of the same settings")

    e = sub.add_parser("evaluate", help="accuracy, precision, recall, F1, confusion matrix")
    e.add_argument("--weights", required=True, metavar="FILE")
    e.add_argument("--data", metavar="DIR", help=data_help)

    p = sub.add_parser("predict", help="classify photos (JPEG, PNG, any size)")
    p.add_argument("--weights", required=True, metavar="FILE")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    add_export_parser(sub)
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _fresh_run_dir(model: str) -> Path:
    base = Path("runs") / f"cat-{model}-{time.strftime('%Y%m%d-%H%M%S')}"
    for k in range(1, 1000):
        out = base if k == 1 else base.with_name(f"{base.name}-{k}")
        try:
            out.mkdir(parents=True)
            return out
        except FileExistsError:
            continue
    raise FileExistsError(f"{base}: could not create a fresh run folder")


def cmd_train(args: argparse.Namespace) -> int:
    from tinygrad_np.data.datasets import load_dataset

    from .plots import save_cost_curve, save_mislabelled
    from .report import binary_report
    from .train import train

    if args.momentum and args.optimizer != "sgd":
        raise ValueError(f"--momentum is for sgd; {args.optimizer} has its own betas")
    data = load_dataset(args.data, dtype=args.dtype)
    epochs = args.epochs or args.iterations
    model = MODELS[args.model](init=args.init, seed=args.seed, dtype=args.dtype, dropout=args.dropout)
    dims = layer_sizes(model)
    fresh = not args.out
    out = _fresh_run_dir(args.model) if fresh else Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"Data: {data.source} ({len(data.y_train)} train, {len(data.y_test)} test images)")
    batches = "full batch" if args.batch_size is None else f"batch size {args.batch_size}"
    extras = "".join(
        f", {name} {value}"
        for name, value in (
            ("momentum", args.momentum),
            ("weight decay", args.weight_decay),
            ("dropout", args.dropout),
        )
        if value
    )
    print(
        f"Model: {args.model} {dims}, init {args.init}, seed {args.seed}, {args.dtype}, "
        f"{args.optimizer} lr {args.lr}{extras}, {batches}, {epochs} "
        f"{'iterations' if args.batch_size is None else 'epochs'}"
    )
    start = time.perf_counter()
    try:
        history = train(
            model,
            data.x_train,
            data.y_train,
            epochs=epochs,
            lr=args.lr,
            optimizer=args.optimizer,
            momentum=args.momentum,
            weight_decay=args.weight_decay,
            batch_size=args.batch_size,
            seed=args.seed,
            checkpoint=str(out / "checkpoint.npz") if args.checkpoint else None,
            resume_from=args.resume,
        )
    except BaseException:
        if fresh and not any(out.iterdir()):
            out.rmdir()  # a failed run leaves no empty run folder behind
        raise
    seconds = time.perf_counter() - start
    if history.stop_reason == "interrupted":
        print(f"Interrupted after {len(history)} epochs: keeping the weights trained so far.")
    costs = history["loss"]
    model = without_dropout(model)
    results, probs = {}, {}
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        probs[split] = predict_proba(model, x)
        r = results[split] = binary_report(y, probs[split])
        print(f"{split.capitalize()} accuracy: {r['accuracy']:.4f} ({r['correct']}/{r['total']})")
    tnp.save(model, out / "weights.npz")
    save_cost_curve(costs, out / "cost_curve.png", title=f"{args.model} model, learning rate = {args.lr}")
    save_mislabelled(data.images_test, data.y_test, probs["test"], data.classes, out / "mislabelled.png")
    metrics = {
        "settings": {
            k: getattr(args, k)
            for k in (
                "model",
                "iterations",
                "lr",
                "init",
                "seed",
                "dtype",
                "optimizer",
                "momentum",
                "weight_decay",
                "batch_size",
                "dropout",
            )
        }
        | {"epochs": epochs, "data": data.source, "layer_sizes": dims, "stop_reason": history.stop_reason},
        "costs": costs,
        **results,
        "seconds": round(seconds, 3),
    }
    with atomic_write(out / "metrics.json") as f:
        f.write((json.dumps(metrics, indent=2) + "\n").encode())
    print(
        f"Wrote {out}/: weights.npz, cost_curve.png, mislabelled.png, metrics.json "
        f"({seconds:.1f} s of training)"
    )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tinygrad_np.data.datasets import load_dataset

    from .report import binary_report

    model = load_model(args.weights)
    data = load_dataset(args.data, dtype=model.dtype)
    print(f"Weights: {args.weights}\nData: {data.source}")
    header = f"{'':6}{'accuracy':>10}{'precision':>11}{'recall':>8}{'F1':>8}"
    print(f"{header}   confusion [[TN FP] [FN TP]]")
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        r = binary_report(y, predict_proba(model, x))
        print(
            f"{split:6}{r['accuracy']:>10.4f}{r['precision']:>11.4f}{r['recall']:>8.4f}"
            f"{r['f1']:>8.4f}   {r['confusion_matrix']} ({r['correct']}/{r['total']} right)"
        )
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from tinygrad_np.data.datasets import ImageLoadError, load_image, to_features

    model = load_model(args.weights)
    failed = 0
    for path in args.images:
        try:
            image = load_image(path)
        except ImageLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        p = float(predict_proba(model, to_features(image[None], model.dtype))[0, 0])
        print(f"{path}: {CLASSES[int(p > 0.5)]} (P(cat) = {p:.4f})")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (1: some image failed, 2: bad input)."""
    args = build_parser().parse_args(argv)
    command = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "export": cmd_export}[
        args.command
    ]
    try:
        return command(args)
    except (FileNotFoundError, ValueError, TypeError, OSError, tnp.TrainingDivergedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
