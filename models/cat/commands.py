"""The cat CLI's commands: ``train``, ``evaluate`` and ``predict`` (argument parsing is in cli.py)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_np as tnp
from models.resume_settings import settings_extra
from tinygrad_np.serialization import atomic_write

from .model import MODELS, layer_sizes, load_model, mlp, predict_proba, without_dropout
from .runs import (
    check_resume,
    class_counts,
    load_data,
    prepare_out,
    recorded_settings,
    remove_created,
    resolve_recipe,
    resolve_settings,
)

CLASSES = ("non-cat", "cat")
SHOWN_NAMES = 10


def cmd_train(args: argparse.Namespace) -> int:
    """Train, score, write the run folder; 0, or 130 after Ctrl-C."""
    recipe, data, model = _setup(args)
    _describe(args, recipe, data)
    out, created = prepare_out(args.out, recipe["model"])
    start = time.perf_counter()
    try:
        history = _fit(args, recipe, data, model, out)
    except BaseException:
        remove_created(created)  # a failed run leaves no empty run folder behind
        raise
    seconds = time.perf_counter() - start
    interrupted = history.stop_reason == "interrupted"
    unit = "iteration" if args.batch_size is None else "epoch"
    if interrupted:
        print(f"Interrupted after {len(history)} {unit}s: keeping the weights trained so far.")
    model = without_dropout(model)
    results, probs = _score(model, data)
    wrong = _print_misclassified(data.names_test, data.y_test, probs["test"])
    _write_pictures(args, recipe, data, model, probs["test"], history, out)
    metrics = {
        "settings": {
            key: getattr(args, key)
            for key in (
                "init",
                "seed",
                "dtype",
                "optimizer",
                "batch_size",
                "dropout",
                "label_by",
                "resume",
                "fast",
            )
        }
        | recipe
        | {"iterations": args.iterations, "data": data.source, "stop_reason": history.stop_reason},
        "costs": history.history.get("loss", []),  # (none: Ctrl-C in the first epoch)
        **results,
        "misclassified_test": wrong,
        "seconds": round(seconds, 3),
    }
    with atomic_write(out / "metrics.json") as f:
        f.write((json.dumps(metrics, indent=2) + "\n").encode())
    print(
        f"Wrote {out}/: weights.npz, cost_curve.png, mislabelled.png, test_picture.png, metrics.json "
        f"({seconds:.1f} s of training)"
    )
    if interrupted:
        return _resume_hint(out)
    _fast_hint(args, recipe, len(data.x_train))
    return 0


def _setup(args: argparse.Namespace) -> tuple[dict[str, Any], Any, tnp.Sequential]:
    """The recipe (checked against a resumed checkpoint), the data and the model to train."""
    resolve_settings(args)
    recipe = resolve_recipe(args)
    data = load_data(args, args.dtype)
    dims = recipe["layer_sizes"]
    if data.x_train.shape[1] != dims[0]:
        raise ValueError(
            f"--layers: the input size must match the data's {data.x_train.shape[1]} features "
            f"(64 x 64 x 3 pixels), got {dims[0]}; start the sizes with {data.x_train.shape[1]}"
        )
    if args.show >= len(data.y_test):
        raise ValueError(f"--show must be below the {len(data.y_test)} test images, got {args.show}")
    model = mlp(
        dims,
        init=args.init,
        seed=args.seed,
        course_scale=recipe["init_scale"],
        dtype=args.dtype,
        dropout=args.dropout,
    )
    if args.resume:
        check_resume(args, recipe, model)
    return recipe, data, model


def _describe(args: argparse.Namespace, recipe: dict[str, Any], data: Any) -> None:
    """Print the data, the class counts and the model's settings."""
    print(f"Data: {data.source} ({len(data.y_train)} train, {len(data.y_test)} test images)")
    print(f"Classes: {class_counts(data, args.label_by)}")
    full = args.batch_size is None
    extras = "".join(
        f", {name} {recipe[key]}"
        for name, key in (("momentum", "momentum"), ("weight decay", "weight_decay"))
        if recipe[key]
    ) + (f", dropout {args.dropout}" if args.dropout else "")
    scale = "" if recipe["init_scale"] == "sqrt_fan_in" else f" (scale {recipe['init_scale']})"
    print(
        f"Model: {recipe['model']} {recipe['layer_sizes']}, init {args.init}{scale}, seed {args.seed}, "
        f"{args.dtype}, {args.optimizer} lr {recipe['lr']}{extras}, "
        f"{'full batch' if full else f'batch size {args.batch_size}'}, {recipe['epochs']} "
        f"{'iteration' if full else 'epoch'}s"
        + (", --fast (first layer in sample space)" if args.fast else "")
        + (f", resumed from {args.resume}" if args.resume else "")
    )


def _fit(
    args: argparse.Namespace, recipe: dict[str, Any], data: Any, model: tnp.Sequential, out: Path
) -> Any:
    from .train import train

    return train(
        model,
        data.x_train,
        data.y_train,
        epochs=recipe["epochs"],
        lr=recipe["lr"],
        optimizer=args.optimizer,
        momentum=recipe["momentum"],
        weight_decay=recipe["weight_decay"],
        batch_size=args.batch_size,
        seed=args.seed,
        checkpoint=str(out / "checkpoint.npz") if args.checkpoint else None,
        checkpoint_every=args.checkpoint_every,
        checkpoint_extra=settings_extra(recorded_settings(args)),
        resume_from=args.resume,
        print_every=args.print_every,
        fast=args.fast,
    )


def _score(model: tnp.Sequential, data: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Scores and P(cat) on both splits, printing the accuracies."""
    from .report import binary_report

    results, probs = {}, {}
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        probs[split] = predict_proba(model, x)
        r = results[split] = binary_report(y, probs[split])
        print(f"{split.capitalize()} accuracy: {r['accuracy']:.4f} ({r['correct']}/{r['total']})")
    return results, probs


def _write_pictures(
    args: argparse.Namespace,
    recipe: dict[str, Any],
    data: Any,
    model: tnp.Sequential,
    prob_test: np.ndarray,
    history: Any,
    out: Path,
) -> None:
    """weights.npz, the cost curve, the mislabelled grid and the captioned test picture."""
    from .plots import caption, save_captioned, save_cost_curve, save_mislabelled

    tnp.save(model, out / "weights.npz")
    title = f"{recipe['model']} model, learning rate = {recipe['lr']}"
    unit = "iteration" if args.batch_size is None else "epoch"
    interrupted = history.stop_reason == "interrupted"
    save_cost_curve(
        history.history.get("loss", []),
        out / "cost_curve.png",
        title=title,
        unit=unit,
        interrupted=interrupted,
    )
    save_mislabelled(
        data.images_test, data.y_test, prob_test, data.classes, out / "mislabelled.png", names=data.names_test
    )
    k = args.show
    text = caption(int(data.y_test[k, 0]), float(prob_test[k, 0]), data.classes)
    save_captioned(data.images_test[k], text, out / "test_picture.png", name=data.names_test[k])


def _fast_hint(args: argparse.Namespace, recipe: dict[str, Any], m: int) -> None:
    """Without --fast, where it would apply, one line saying that it exists and what it saves."""
    from .train import fewer_multiply_adds

    sizes = recipe["layer_sizes"]
    # fit's rules for its fast path: full-batch SGD, no callback, at most one sample per four inputs
    if args.fast or args.batch_size is not None or args.optimizer != "sgd" or args.checkpoint:
        return
    if 4 * m <= sizes[0]:
        print(
            f"hint: --fast trains this model with {fewer_multiply_adds(sizes, m):.0f}x fewer multiply-adds "
            "per iteration (same math up to rounding; see --help)"
        )


def _resume_hint(out: Path) -> int:
    """After Ctrl-C: say how to continue; the exit code 130."""
    ckpt = out / "checkpoint.npz"
    if ckpt.is_file():
        print(f"To continue, run the same command with --resume {ckpt}", file=sys.stderr)
    else:
        print("No checkpoint was written (add --checkpoint to be able to resume).", file=sys.stderr)
    return 130


def _print_misclassified(names: tuple[str, ...], y: np.ndarray, prob: np.ndarray) -> list[str]:
    """Print (up to SHOWN_NAMES of) the misclassified test files; return all their names."""
    wrong = np.flatnonzero((prob[:, 0] > 0.5) != (y[:, 0] > 0.5))
    listed = [
        f"{names[i]} ({'cat' if y[i, 0] > 0.5 else 'non-cat'}, P(cat) = {prob[i, 0]:.2f})" for i in wrong
    ]
    if listed:
        more = f", and {len(listed) - SHOWN_NAMES} more" if len(listed) > SHOWN_NAMES else ""
        print(f"Misclassified test images: {'; '.join(listed[:SHOWN_NAMES])}{more}")
    return [names[i] for i in wrong]


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .report import binary_report

    model = load_model(args.weights)
    data = load_data(args, model.dtype)
    if args.show is not None and args.show >= len(data.y_test):
        raise ValueError(f"--show must be below the {len(data.y_test)} test images, got {args.show}")
    if data.x_train.shape[1] != layer_sizes(model)[0]:
        raise ValueError(
            f"{args.weights}: the model takes {layer_sizes(model)[0]} inputs, the data has "
            f"{data.x_train.shape[1]} features"
        )
    print(f"Weights: {args.weights}\nData: {data.source}\nClasses: {class_counts(data, args.label_by)}")
    header = f"{'':6}{'accuracy':>10}{'precision':>11}{'recall':>8}{'F1':>8}"
    print(f"{header}   confusion [[TN FP] [FN TP]]")
    probs = {}
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        probs[split] = predict_proba(model, x)
        r = binary_report(y, probs[split])
        print(
            f"{split:6}{r['accuracy']:>10.4f}{r['precision']:>11.4f}{r['recall']:>8.4f}"
            f"{r['f1']:>8.4f}   {r['confusion_matrix']} ({r['correct']}/{r['total']} right)"
        )
    _print_misclassified(data.names_test, data.y_test, probs["test"])
    if args.show is not None:
        from .plots import caption, save_captioned

        k = args.show
        text = caption(int(data.y_test[k, 0]), float(probs["test"][k, 0]), data.classes)
        target = Path(args.picture) if args.picture else Path(args.weights).parent / f"test_picture_{k}.png"
        save_captioned(data.images_test[k], text, target, name=data.names_test[k])
        print(f"Test picture {k} ({data.names_test[k]}): {' / '.join(text.splitlines())}; wrote {target}")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from tinygrad_np.data.datasets import ImageLoadError, load_image, to_features

    model = load_model(args.weights)
    failed = 0
    shown: list[tuple[np.ndarray, str, float]] = []
    for path in args.images:
        try:
            image = load_image(path)
        except ImageLoadError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        p = float(predict_proba(model, to_features(image[None], model.dtype or np.float64))[0, 0])
        print(f"{path}: {CLASSES[int(p > 0.5)]} (P(cat) = {p:.4f})")
        shown.append((image, Path(path).name, p))
    if args.grid and shown:
        from .plots import save_prediction_grid

        images, names, probs = zip(*shown, strict=True)
        save_prediction_grid(images, names, probs, args.grid)
        print(f"Wrote {args.grid} ({len(shown)} pictures)")
    return 1 if failed else 0


__all__ = ["MODELS", "cmd_evaluate", "cmd_predict", "cmd_train"]
