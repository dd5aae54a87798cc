"""What ``train`` settles before it trains: the recipe from the arguments, the data and its class
counts, a resume's checkpoint checked against the run, and a writable output folder."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_np as tnp
from tinygrad_np.data.datasets import CatData

from .model import DEEP_DIMS, TWO_LAYER_DIMS

PRESETS: dict[str, tuple[tuple[int, ...], str | float]] = {
    "deep": (DEEP_DIMS, "sqrt_fan_in"),
    "two-layer": (TWO_LAYER_DIMS, 0.01),
}
DEFAULTS = {"lr": 0.0075, "momentum": 0.0, "weight_decay": 0.0, "epochs": 2500}
# The settings a checkpoint records and a resume keeps (models/resume_settings.py), with their options
# and the defaults of a new run (lr, momentum, weight decay: DEFAULTS, in resolve_recipe).
RESUMED = {
    "lr": "--lr", "momentum": "--momentum", "weight_decay": "--weight-decay", "optimizer": "--optimizer",
    "batch_size": "--batch-size", "seed": "--seed", "init": "--init", "dropout": "--dropout",
    "dtype": "--dtype", "label_by": "--label-by",
}  # fmt: skip
RESUMED_DEFAULTS = {"optimizer": "sgd", "seed": 1, "init": "course", "dropout": 0.0, "dtype": "float64",
                    "label_by": "auto"}  # fmt: skip


def resolve_settings(args: argparse.Namespace) -> None:
    """The settings of ``RESUMED`` from ``--resume``'s checkpoint, or the options, or the defaults."""
    from models.resume_settings import resolve_settings as resolve

    resolve(args, RESUMED, RESUMED_DEFAULTS)


def recorded_settings(args: argparse.Namespace) -> dict[str, Any]:
    """What ``--checkpoint`` records for a resume: every setting of ``RESUMED`` as resolved."""
    return {key: getattr(args, key) for key in RESUMED}


def resolve_recipe(args: argparse.Namespace) -> dict[str, Any]:
    """{"model", "layer_sizes", "init_scale", "epochs", "lr", "momentum", "weight_decay"} from the
    arguments; ValueError naming the options for a conflicting combination."""
    if args.model and args.layers:
        raise ValueError("give --model (a preset) or --layers (any sizes), not both")
    if args.iterations is not None and args.epochs is not None:
        raise ValueError(
            "give --iterations or --epochs, not both (with the full batch one epoch is one iteration)"
        )
    if args.iterations is not None and args.batch_size is not None:
        raise ValueError("--iterations counts full-batch steps; with --batch-size give --epochs")
    if args.momentum and args.optimizer != "sgd":
        raise ValueError(f"--momentum is for sgd; {args.optimizer} has its own betas")
    if args.fast and (args.batch_size is not None or args.optimizer != "sgd" or args.checkpoint):
        raise ValueError(
            "--fast trains full-batch sgd without --checkpoint (it keeps the first layer's weights in "
            "sample space until training ends); drop --fast, or --batch-size, --optimizer, --checkpoint"
        )
    if args.init_scale is not None and args.init in ("he", "xavier"):
        raise ValueError(f"--init-scale is for --init course or normal; {args.init} sets its own scale")
    scale: str | float
    if args.layers:
        name, dims, scale = "-".join(map(str, args.layers)), list(args.layers), "sqrt_fan_in"
    else:
        name = args.model or "deep"
        preset_dims, scale = PRESETS[name]
        dims = list(preset_dims)
    if args.init_scale is not None:
        scale = args.init_scale
    elif args.init in ("he", "xavier"):
        scale = "sqrt_fan_in"  # not used: he and xavier set their own scale
    epochs = args.epochs or args.iterations or DEFAULTS["epochs"]
    recipe: dict[str, Any] = {"model": name, "layer_sizes": dims, "init_scale": scale, "epochs": epochs}
    for key in ("lr", "momentum", "weight_decay"):
        value = getattr(args, key)
        recipe[key] = DEFAULTS[key] if value is None else value
    return recipe


def load_data(args: argparse.Namespace, dtype: Any) -> CatData:
    """The data of ``--data`` labelled by ``--label-by``; ValueError for a split with one class."""
    from tinygrad_np.data.datasets import SkippedFilesWarning, load_dataset

    options: dict[str, Any] = {}
    if args.label_by == "extension":
        options = {
            "cat_extensions": _exts(args.cat_extensions),
            "noncat_extensions": _exts(args.noncat_extensions),
        }
    with warnings.catch_warnings(record=True) as caught:  # files skipped in image folders: say so
        warnings.simplefilter("always", SkippedFilesWarning)
        data = load_dataset(args.data, dtype=dtype, label_by=args.label_by, **options)
    for w in caught:
        if issubclass(w.category, SkippedFilesWarning):
            print(f"warning: {w.message}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    for split, y in (("train", data.y_train), ("test", data.y_test)):
        counts = np.bincount(y[:, 0].astype(int), minlength=2)
        if (counts == 0).any():
            only = data.classes[int(counts.argmax())]
            raise ValueError(
                f"{data.source}: every {split} image is labelled {only} "
                f"({class_counts(data, args.label_by)}); accuracy would mean nothing. Check the "
                f"labelling rule (--label-by {args.label_by}; see --help) or the folder"
            )
    return data


def _exts(text: str) -> tuple[str, ...]:
    return tuple(e.strip() for e in text.split(",") if e.strip())


def class_counts(data: CatData, label_by: str = "auto") -> str:
    """ "train 4 cat + 4 non-cat, test 1 cat + 2 non-cat (labelled by name)"."""
    parts = []
    for split, y in (("train", data.y_train), ("test", data.y_test)):
        cats = int((y[:, 0] > 0.5).sum())
        parts.append(f"{split} {cats} {data.classes[1]} + {len(y) - cats} {data.classes[0]}")
    rule = "the HDF5 labels" if data.names_train[:1] and "[" in data.names_train[0] else label_by
    return ", ".join(parts) + f" (labelled by {rule})"


def check_resume(args: argparse.Namespace, recipe: dict[str, Any], model: tnp.Layer) -> None:
    """Check ``--resume FILE``'s network and epochs against this run before anything trains (its
    settings were taken or checked by :func:`resolve_settings`)."""
    path = args.resume
    arrays = tnp.load_checkpoint(path)
    saved = {k[len("model/") :]: v.shape for k, v in arrays.items() if k.startswith("model/")}
    wanted = {k: v.shape for k, v in model.state_dict().items()}
    if saved != wanted:
        raise ValueError(
            f"{path}: the checkpoint is of another network (weights {_dims(saved)}); this run builds "
            f"{_dims(wanted)}: give the same --model/--layers and --dropout as the run that wrote it"
        )
    epoch = int(arrays["epoch"]) if "epoch" in arrays else 0
    if recipe["epochs"] <= epoch:
        raise ValueError(
            f"{path}: the checkpoint has completed {epoch} epochs; --iterations/--epochs count the total, "
            f"so give more than {epoch} to train further"
        )


def _dims(shapes: dict[str, tuple[int, ...]]) -> str:
    weights = [shapes[k] for k in sorted(shapes, key=lambda k: int(k.split(".")[0])) if k.endswith("weight")]
    if weights and all(len(w) == 2 for w in weights):
        return ",".join(map(str, [weights[0][1], *(w[0] for w in weights)]))
    return str(sorted(shapes))


def prepare_out(out: str | None, name: str) -> tuple[Path, list[Path]]:
    """Create the output folder (``runs/cat-NAME-TIME`` when ``out`` is None) and check that a file
    can be written there, before training; returns it and the folders created (for clean-up)."""
    if out is None:
        base = Path("runs") / f"cat-{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        k = 1
        while (base if k == 1 else base.with_name(f"{base.name}-{k}")).exists():
            k += 1
        path = base if k == 1 else base.with_name(f"{base.name}-{k}")
    else:
        path = Path(out)
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        remove_created(missing)
        raise OSError(
            f"{path}: cannot write the output folder ({exc.strerror or exc}); choose another --out"
        ) from None
    return path, missing


def remove_created(created: list[Path]) -> None:
    """Remove the folders this run created, deepest first, if they are (still) empty."""
    for folder in created:
        try:
            if folder.is_dir() and not any(folder.iterdir()):
                os.rmdir(folder)
        except OSError:
            pass
