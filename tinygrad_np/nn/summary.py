"""``model.summary()``: a Keras-style table of a layer tree, nested models indented."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .module import Layer

Shape = tuple[int | None, ...] | None


def _fmt_shape(shape: Shape) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("batch" if s is None else str(s) for s in shape) + ")"


def _default_input(model: Layer) -> tuple[int, ...] | None:
    """(in_features,) of the first layer in the tree that has ``in_features``, if any."""
    for layer in model.modules():
        n = getattr(layer, "in_features", None)
        if isinstance(n, int):
            return (n,)
    return None


def _rows(layer: Layer, name: str, depth: int, shape: Shape, rows: list[tuple[str, ...]]) -> Shape:
    """Append the rows of ``layer`` (and, for a Sequential, of its children) and return its output shape."""
    from .container import Sequential

    n = sum(p.size for p in layer.parameters())
    if isinstance(layer, Sequential) and depth >= 0:
        rows.append((name, "  " * depth + "Sequential", "", f"{n:,}"))
        for k, child in layer.named_children():
            shape = _rows(child, f"{name}.{k}" if name else k, depth + 1, shape, rows)
        return shape
    try:
        out = layer.output_shape(shape) if shape is not None else None
    except (ValueError, TypeError, IndexError):
        out = None
    text = repr(layer).split("\n")[0] + (" ...)" if "\n" in repr(layer) else "")
    rows.append((name, "  " * depth + text, _fmt_shape(out), f"{n:,}"))
    return out


def summary(model: Layer, input_shape: tuple[int, ...] | None = None) -> str:
    """The table; ``input_shape`` excludes the batch dimension (default: the first ``in_features``)."""
    from .container import Sequential

    if input_shape is None:
        input_shape = _default_input(model)
    shape: Shape = (None, *input_shape) if input_shape else None
    rows: list[tuple[str, ...]] = [
        ("#", "Layer (type)", "Output shape", "Param #"),
        ("", "input", _fmt_shape(shape), "0"),
    ]
    if isinstance(model, Sequential):
        for k, child in model.named_children():
            shape = _rows(child, k, 0, shape, rows)
    else:
        _rows(model, "", 0, shape, rows)
    widths = [max(len(r[c]) for r in rows) for c in range(4)]
    line = "  ".join("-" * w for w in widths)

    def fmt(r: tuple[str, ...]) -> str:
        cells = (r[c].rjust(widths[c]) if c == 3 else r[c].ljust(widths[c]) for c in range(4))
        return "  ".join(cells).rstrip()

    total = sum(p.size for p in model.parameters())
    dtype = model.dtype
    nbytes = total * (dtype.itemsize if dtype is not None else 0)
    out = [fmt(rows[0]), line, *(fmt(r) for r in rows[1:]), line]
    out.append(f"Total params: {total:,} ({dtype}, {nbytes / 2**20:.2f} MiB)")
    return "\n".join(out)
