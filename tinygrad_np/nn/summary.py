"""``model.summary()``: a Keras-style table of a module tree (nested modules indented), with the output
shape of every module measured by running the model, and ``watch_calls``, which that run (and export's
tracer) uses to see each module's calls.

Duck-typed on purpose: this file imports neither ``module.py`` nor ``container.py`` (``Module.summary``
imports it, so either import would be a cycle). A "module" here is anything with ``named_modules()``,
``named_children()``, ``parameters()``, ``forward`` and ``training``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad

Shape = tuple[int | None, ...] | None
Dim = int | str  # a size, "batch", or "batch*k"
# after(path, module, args, output): called when a module's forward returns
AfterCall = Callable[[str, Any, tuple[Any, ...], Any], None]
_UNSET = object()


@contextmanager
def watch_calls(model: Any, after: AfterCall) -> Iterator[None]:
    """Within the block, every call of a module of ``model``'s tree (each module once, under its first
    dotted name; "" for ``model``) reports to ``after`` when its ``forward`` returns. Each forward is
    wrapped by an instance attribute, removed again on exit (the modules are left as they were)."""
    wrapped: list[tuple[Any, Any]] = []

    def wrap(path: str, module: Any, forward: Callable[..., Any]) -> Callable[..., Any]:
        def watched(*args: Any, **kwargs: Any) -> Any:
            out = forward(*args, **kwargs)
            after(path, module, args, out)
            return out

        return watched

    try:
        for path, module in model.named_modules():
            own = vars(module).get("forward", _UNSET)  # an instance attribute already there, if any
            wrapped.append((module, own))
            module.forward = wrap(path, module, module.forward)
        yield
    finally:
        for module, own in wrapped:
            if own is _UNSET:
                del module.forward
            else:
                module.forward = own


@contextmanager
def left_as_found(model: Any) -> Iterator[None]:
    """Run the block in eval mode, then put back every module's mode, cache (``_cache``) and buffers
    (``_buffers``, e.g. BatchNorm's running statistics): a measuring run changes nothing."""
    saved = []
    for m in model.modules():
        buffers = {name: getattr(m, name) for name in getattr(m, "_buffers", ())}
        saved.append((m, m.training, vars(m).get("_cache"), buffers))
    try:
        model.eval()
        yield
    finally:
        for m, training, cache, buffers in saved:
            m.training, m._cache = training, cache
            for name, value in buffers.items():
                setattr(m, name, value)


def output_shapes(model: Any, example: tuple[int, ...], dtype: Any) -> dict[str, list[tuple[Dim, ...]]]:
    """The output shape of each call of each module (by dotted name), measured by running ``model`` in
    eval mode under ``no_grad`` on zeros of shape (2, *example) and (3, *example): a size that follows
    the batch is "batch" (or "batch*k"). A run that fails stops the measuring where it failed."""
    runs: list[dict[str, list[tuple[int, ...]]]] = []
    for batch in (2, 3):
        seen: dict[str, list[tuple[int, ...]]] = {}

        def after(path: str, module: Any, args: tuple[Any, ...], out: Any) -> None:
            shape = getattr(out, "shape", None)
            if isinstance(shape, tuple):
                seen.setdefault(path, []).append(shape)  # noqa: B023  (used during this run only)

        with left_as_found(model), no_grad(), watch_calls(model, after), np.errstate(all="ignore"):
            try:
                model(np.zeros((batch, *example), dtype=dtype))
            except (ValueError, TypeError, IndexError, RuntimeError):
                pass  # the shapes measured so far stand; the rest show "?"
        runs.append(seen)
    out: dict[str, list[tuple[Dim, ...]]] = {}
    for path, shapes in runs[0].items():
        for s2, s3 in zip(shapes, runs[1].get(path, []), strict=False):
            if len(s2) == len(s3):
                out.setdefault(path, []).append(tuple(_dim(a, b) for a, b in zip(s2, s3, strict=True)))
    return out


def _dim(at2: int, at3: int) -> Dim:
    """A size measured at batch 2 and at batch 3: fixed, "batch", "batch*k", or "?"."""
    if at2 == at3:
        return at2
    if at2 * 3 == at3 * 2 and at2 % 2 == 0:
        return "batch" if at2 == 2 else f"batch*{at2 // 2}"
    return "?"


def _fmt_shape(shapes: list[tuple[Dim, ...]] | None) -> str:
    if not shapes:
        return "?"
    distinct = list(dict.fromkeys(shapes))  # a module called twice with different shapes shows both
    return " | ".join("(" + ", ".join(str(d) for d in s) + ")" for s in distinct)


def default_input(model: Any) -> tuple[int, ...] | None:
    """(in_features,) of the first module in the tree that has ``in_features``, if any."""
    for layer in model.modules():
        n = getattr(layer, "in_features", None)
        if isinstance(n, int):
            return (n,)
    return None


def _text(module: Any) -> str:
    """A module with children by its class name (its repr spans lines), a leaf by its repr."""
    if any(True for _ in module.named_children()):
        return type(module).__name__
    text = repr(module)
    return text.split("\n")[0] + (" ...)" if "\n" in text else "")


def summary(model: Any, input_shape: tuple[int, ...] | None = None) -> str:
    """The table; ``input_shape`` excludes the batch dimension (default: the first ``in_features``).
    Every module is listed once, indented under its parent; a chain (Sequential) at the top has no row
    of its own, any other model has one (first), with its output shape."""
    if input_shape is None:
        input_shape = default_input(model)
    shapes = output_shapes(model, tuple(input_shape), model.dtype or np.float64) if input_shape else {}
    rows: list[tuple[str, ...]] = [
        ("#", "Layer (type)", "Output shape", "Param #"),
        ("", "input", _fmt_shape([("batch", *input_shape)] if input_shape else None), "0"),
    ]
    chain = isinstance(getattr(model, "layers", None), list)  # Sequential, ModuleList: rows = children's
    for name, module in model.named_modules():
        if chain and name == "":
            continue
        depth = name.count(".") + (0 if chain else 1 if name else 0)
        n = sum(p.size for p in module.parameters())
        rows.append((name, "  " * depth + _text(module), _fmt_shape(shapes.get(name)), f"{n:,}"))
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
