"""``train``'s recipe options (augmentation, label smoothing, warm-up, depth, time budget): their parsing
and what they build. Each argparse error names its option ("argument --augment: ...").

``--augment`` takes torchvision's two augmentations by name, each with its one setting:
``crop[:PADDING]`` is ``RandomCrop(28, padding=PADDING)`` (default 2: pad with black, take a random 28×28
window, i.e. shift by up to PADDING pixels), ``flip[:P]`` is ``RandomHorizontalFlip(p=P)`` (default 0.5).
``--augment crop,flip`` = ``crop:2,flip:0.5``; ``none`` (default) trains on the images as they are. The
value is kept in its full form (``crop:2,flip:0.5``), as recorded in the checkpoint and metrics.json.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from models.cli_args import non_negative_int, positive_float, positive_int
from tinygrad_np.data.transforms import Compose, RandomCrop, RandomHorizontalFlip, Transform

__all__ = ["add_recipe_options", "augment_spec", "augment_transform", "fraction"]

AUGMENT_HELP = (
    "training-batch augmentation, comma-separated: crop[:PADDING] (RandomCrop(28, padding=PADDING), "
    "default 2), flip[:P] (RandomHorizontalFlip(p=P), default 0.5); e.g. crop,flip or crop:4; "
    "none (default). Validation and test images are never augmented"
)
_DEFAULTS = {"crop": "2", "flip": "0.5"}


def augment_spec(text: str) -> str:
    """``--augment``'s value in full form: "crop:2,flip:0.5" (crop first), or "none"."""
    if text.strip() == "none":
        return "none"
    found: dict[str, str] = {}
    for item in text.split(","):
        name, _, value = item.strip().partition(":")
        if name not in _DEFAULTS or name in found:
            raise argparse.ArgumentTypeError(
                f"must be none or crop[:PADDING] and/or flip[:P], comma-separated, each once, got {text!r}"
            )
        found[name] = _check(name, value or _DEFAULTS[name], text)
    return ",".join(f"{name}:{found[name]}" for name in _DEFAULTS if name in found)


def _check(name: str, value: str, text: str) -> str:
    try:
        number = int(value) if name == "crop" else float(value)
    except ValueError:
        number = -1
    if name == "crop" and not number >= 1:
        raise argparse.ArgumentTypeError(f"crop's padding must be a whole number >= 1, got {text!r}")
    if name == "flip" and not 0 < number <= 1:
        raise argparse.ArgumentTypeError(f"flip's probability must be in (0, 1], got {text!r}")
    return str(number)


def augment_transform(spec: str) -> Transform | None:
    """The transform of a full-form ``--augment`` value (None for "none"): crop, then flip."""
    if spec == "none":
        return None
    parts = dict(item.split(":") for item in spec.split(","))
    steps: list[Transform] = []
    if "crop" in parts:
        steps.append(RandomCrop(28, padding=int(parts["crop"])))
    if "flip" in parts:
        steps.append(RandomHorizontalFlip(float(parts["flip"])))
    return Compose(steps)


def fraction(flag: str) -> Callable[[str], float]:
    """A number in [0, 1)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 <= value < 1:
            raise argparse.ArgumentTypeError(f"{flag} must be a number in [0, 1), got {text!r}")
        return value

    return parse


def add_recipe_options(t: argparse.ArgumentParser) -> None:
    """--augment, --label-smoothing, --warmup-epochs, --convs-per-block, --time-budget (None: not given;
    train_cmd.py resolves the defaults, a resume the checkpoint's)."""
    t.add_argument("--augment", type=augment_spec, metavar="SPEC", help=AUGMENT_HELP)
    t.add_argument(
        "--label-smoothing",
        type=fraction("--label-smoothing"),
        help="CrossEntropyLoss(label_smoothing=S), as in PyTorch and Keras (default: 0)",
    )
    t.add_argument(
        "--warmup-epochs",
        type=non_negative_int("--warmup-epochs"),
        help="with --schedule warmup-cosine: epochs of linear warm-up (default: 1)",
    )
    t.add_argument(
        "--convs-per-block",
        type=positive_int,
        help="cnn: 3×3 convs (each with BN and ReLU) before each pool (default: 1; 2: VGG-style blocks)",
    )
    t.add_argument(
        "--time-budget",
        type=positive_float("--time-budget"),
        metavar="SECONDS",
        help="stop after an epoch when the next would end past SECONDS of training (counted over a "
        "resumed run too); stop_reason 'time budget', exit 0",
    )
