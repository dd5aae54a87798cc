"""fit()'s data arguments, checked: arrays (x, y) or a DataLoader for training, and for validation
(a pair or a DataLoader), each turned into the DataLoader that fit() runs its epochs over."""

from __future__ import annotations

import numpy as np

from ..data.dataset import TensorDataset
from ..data.loader import DataLoader
from ..validation import check_batch, check_int, fail

__all__ = ["check_inputs", "input_limit", "train_loader", "val_loader"]


def input_limit(dtype: np.dtype) -> float:
    """The largest input magnitude fit() accepts for ``dtype``: the 4th root of its largest number
    (about 1.3e77 for float64, 4.3e9 for float32), so that x @ W and the gradients built from x
    stay far from overflow."""
    return float(np.finfo(dtype).max) ** 0.25


def check_inputs(who: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = check_batch(who, x, y)
    if x.dtype.kind == "f":
        if not np.all(np.isfinite(x)):
            raise fail(who, "inputs", "be finite", "NaN or infinite values")
        biggest, limit = float(np.max(np.abs(x))), input_limit(x.dtype)
        if biggest > limit:
            raise fail(
                who,
                "inputs",
                f"have magnitudes <= {limit:.3g} for {x.dtype} (beyond that x @ W overflows)",
                f"max |x| = {biggest:.3g}",
                "scale the inputs (e.g. images / 255, or standardise each feature)",
            )
    return x, y


def train_loader(
    x: np.ndarray | DataLoader,
    y: np.ndarray | None,
    batch_size: int | None,
    rng: object,
    shuffle: bool,
    drop_last: bool,
) -> tuple[DataLoader, np.ndarray | None, bool]:
    """The training batches, the arrays x (None for a loader) and whether to shuffle: x itself when it is
    a DataLoader (which carries batch_size, shuffle, drop_last and rng), else a DataLoader over (x, y)."""
    if isinstance(x, DataLoader):
        defaults = {"y": (y, None), "batch_size": (batch_size, None), "rng": (rng, None),
                    "shuffle": (shuffle, True), "drop_last": (drop_last, False)}  # fmt: skip
        for name, (value, default) in defaults.items():
            if value is not default:
                rule = f"be left at {default} when x is a DataLoader (the loader has its own)"
                shown = value if isinstance(value, bool | int) else type(value).__name__
                raise fail("fit", name, rule, shown, "set it on the DataLoader")
        return x, None, x.shuffle
    if y is None:
        raise fail(
            "fit", "y", "be given with arrays x", None, "fit(model, loss, opt, x, y, ...) or a DataLoader"
        )
    x, y = check_inputs("fit", x, y)
    bs = len(x) if batch_size is None else check_int("fit", "batch_size", batch_size)
    return (
        DataLoader(TensorDataset(x, y), bs, drop_last=drop_last),
        x,
        bool(shuffle) and batch_size is not None,
    )


def val_loader(validation_data: object, batch_size: int) -> tuple[DataLoader | None, np.ndarray | None]:
    """The validation batches (a DataLoader as given, or one over (x_val, y_val)) and x_val (or None)."""
    if validation_data is None or isinstance(validation_data, DataLoader):
        return validation_data, None
    if not isinstance(validation_data, tuple | list) or len(validation_data) != 2:
        raise fail("fit", "validation_data", "be a pair (x_val, y_val) or a DataLoader",
                   type(validation_data).__name__, error=TypeError)  # fmt: skip
    x_val, y_val = check_inputs("fit: validation_data", *validation_data)
    return DataLoader(TensorDataset(x_val, y_val), batch_size), x_val
