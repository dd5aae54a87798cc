"""``python -m models.cat {train,evaluate,predict}``: the cat classifier from the command line.

Exit codes: 0 done; 1 some image given to ``predict`` failed; 2 bad input (one ``error:`` line);
130 interrupted with Ctrl-C (after saving what was trained so far).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import tinygrad_np as tnp
from models.cli_args import non_negative_float as _non_negative_float
from models.cli_args import non_negative_int as _non_negative_int
from models.cli_args import positive_float as _positive_float
from models.cli_args import positive_int as _positive_int
from models.resume_settings import RESUME_RULE
from models.run_command import run_command
from tinygrad_np.optim import OPTIMIZERS

from .export_cmd import add_export_parser, cmd_export
from .model import INITS, MODELS

CLASSES = ("non-cat", "cat")
LABEL_RULES = ("auto", "name", "folder", "extension")
DATA_HELP = (
    "folder with train_catvnoncat.h5 and test_catvnoncat.h5, or with train/ and test/ image "
    "folders (default: $TINYGRAD_NP_DATA, else the user cache, else a verified download)"
)
LABEL_HELP = (
    "how image folders are labelled: folder = cat/ and non-cat/ sub-folders; name = a cat word in the "
    "file name (cat12.jpg, my_cat.png; not caterpillar.jpg, noncat3.png); extension = PNG files are "
    "cats, JPEG files non-cats; auto (default) = folders where present, else names"
)
EPILOG = "Exit codes: 0 done, 1 an image failed (predict), 2 bad input, 130 interrupted (Ctrl-C)."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m models.cat",
        description="The course's cat / non-cat classifier: train it, evaluate it, classify your photos.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s (tinygrad_np {tnp.__version__})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{train,evaluate,predict,export}")
    _train_parser(sub)
    e = sub.add_parser(
        "evaluate",
        help="accuracy, precision, recall, F1, confusion matrix",
        description="Score saved weights on the train and test splits; list the misclassified test files.",
        epilog=EPILOG,
    )
    e.add_argument("--weights", required=True, metavar="FILE", help="weights.npz written by train")
    e.add_argument("--data", metavar="DIR", help=DATA_HELP)
    e.add_argument("--label-by", choices=LABEL_RULES, default="auto", help=LABEL_HELP)
    _extension_args(e)
    e.add_argument(
        "--show",
        type=_non_negative_int("--show"),
        metavar="N",
        help='write test picture N captioned "This is a cat image / You predicted: ... (P = ...)"',
    )
    e.add_argument(
        "--picture",
        metavar="FILE",
        help="where --show writes its PNG (default: test_picture_N.png beside the weights)",
    )
    p = sub.add_parser(
        "predict",
        help="classify photos (JPEG, PNG, any size)",
        description="Print cat / non-cat and P(cat) for each photo; optionally draw them all in a grid.",
        epilog=EPILOG,
    )
    p.add_argument("--weights", required=True, metavar="FILE", help="weights.npz written by train")
    p.add_argument("--grid", metavar="FILE.png", help="also write a grid of the photos with their verdicts")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="photos to classify (squeezed to 64x64 RGB)")
    add_export_parser(sub)
    export = sub.choices["export"]
    export.description = export.description or "Write trained weights as ONNX and check it in onnxruntime."
    export.epilog = EPILOG
    return parser


def _train_parser(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser(
        "train",
        help="train a model, write weights, plots and metrics.json",
        description=(
            "Train an MLP (ReLU hidden layers, sigmoid output) on the cat data with binary cross-entropy. "
            "The defaults are the course's deep model and recipe: 2500 full-batch iterations at lr 0.0075."
        ),
        epilog=EPILOG,
    )
    _network_args(t.add_argument_group("the network and its initialisation"))
    _run_args(t.add_argument_group("data, recipe and output"))
    _training_args(t.add_argument_group("beyond the course's gradient descent"))


def _network_args(net: argparse._ArgumentGroup) -> None:
    net.add_argument(
        "--model",
        choices=sorted(MODELS),
        help="a preset: deep = 12288-20-7-5-1 (the default), two-layer = 12288-7-1",
    )
    net.add_argument(
        "--layers",
        type=_layer_sizes,
        metavar="SIZES",
        help="any MLP, sizes input first as the course's layers_dims, e.g. 12288,12,4,1",
    )
    net.add_argument(
        "--init",
        choices=INITS,
        help="course (default): np.random.seed(SEED) then randn(out, in) / sqrt(in) per layer (0.01 * randn "
        "for two-layer); he, xavier: from default_rng(SEED); normal: --init-scale * randn",
    )
    net.add_argument(
        "--init-scale",
        type=_positive_float("--init-scale"),
        metavar="S",
        help="course and normal inits: randn(out, in) * S for every layer (e.g. 0.01)",
    )
    net.add_argument("--seed", type=_non_negative_int("--seed"), help="random seed of the init (default: 1)")
    net.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        help="float type of data and weights (default: float64)",
    )


def _run_args(run: argparse._ArgumentGroup) -> None:
    run.add_argument("--data", metavar="DIR", help=DATA_HELP)
    run.add_argument("--label-by", choices=LABEL_RULES, help=LABEL_HELP)
    _extension_args(run)
    run.add_argument(
        "--iterations",
        type=_positive_int,
        help="full-batch gradient-descent steps (default: 2500; not with --epochs)",
    )
    run.add_argument("--lr", type=_positive_float("--lr"), help="learning rate (default: 0.0075)")
    run.add_argument(
        "--print-every", type=_positive_int, default=100, metavar="N", help="print the cost every N (100)"
    )
    run.add_argument("--out", metavar="DIR", help="output folder (default: a new runs/... folder)")
    run.add_argument(
        "--show",
        type=_non_negative_int("--show"),
        default=0,
        metavar="N",
        help="the test picture captioned in OUT/test_picture.png (default: 0)",
    )


def _training_args(g: argparse._ArgumentGroup) -> None:
    g.add_argument("--optimizer", choices=OPTIMIZERS, help="default: sgd (plain GD)")
    g.add_argument("--momentum", type=_non_negative_float("--momentum"), help="sgd momentum (default: 0)")
    g.add_argument(
        "--weight-decay",
        type=_non_negative_float("--weight-decay"),
        help="L2 (sgd, adam) or decoupled (adamw) (default: 0)",
    )
    g.add_argument(
        "--batch-size", type=_positive_int, help="mini-batches, shuffled every epoch (default: full batch)"
    )
    g.add_argument(
        "--epochs",
        type=_positive_int,
        help="passes over the training set (default: 2500; not with --iterations)",
    )
    g.add_argument("--dropout", type=float, help="dropout after every hidden ReLU (default: 0)")
    g.add_argument(
        "--checkpoint",
        action="store_true",
        help="write OUT/checkpoint.npz for --resume: after the first epoch, then at most every "
        "--checkpoint-every seconds, after the last epoch and on Ctrl-C",
    )
    g.add_argument(
        "--checkpoint-every",
        type=_non_negative_float("--checkpoint-every"),
        default=5.0,
        metavar="SECONDS",
        help="the least time between two checkpoints (default: 5; 0: after every epoch)",
    )
    g.add_argument(
        "--fast",
        action="store_true",
        help="train the first layer in sample space (full-batch sgd, without --checkpoint): the same "
        "arithmetic up to rounding and tens of times faster on the course's data; results can part from "
        "the notebook's after many iterations on oscillating runs (default: the notebook's arithmetic)",
    )
    g.add_argument(
        "--resume",
        metavar="FILE",
        help=f"{RESUME_RULE}; --iterations/--epochs count the total",
    )


def _extension_args(parser: argparse._ActionsContainer) -> None:
    parser.add_argument(
        "--cat-extensions",
        default="png",
        metavar="EXTS",
        help="with --label-by extension: the cat file types, comma-separated (default: png)",
    )
    parser.add_argument(
        "--noncat-extensions",
        default="jpg,jpeg",
        metavar="EXTS",
        help="with --label-by extension: the non-cat file types (default: jpg,jpeg)",
    )


def _layer_sizes(text: str) -> list[int]:
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    if len(parts) < 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(
            f"must be at least two positive sizes, input first, e.g. 12288,12,4,1; got {text!r}"
        )
    sizes = [int(p) for p in parts]
    if sizes[-1] != 1:
        raise argparse.ArgumentTypeError(f"the last size must be 1 (one P(cat) output), got {text!r}")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    from .commands import cmd_evaluate, cmd_predict, cmd_train

    args = build_parser().parse_args(argv)
    command = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict, "export": cmd_export}[
        args.command
    ]
    return run_command(command, args)
