"""draw_graph: the recorded graph as Graphviz DOT text, optionally rendered to .svg/.png with ``dot``."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from ..serialization import atomic_write
from ..validation import fail
from .engine import topological_order


def _shape(t: Any) -> str:
    return "×".join(map(str, t.shape)) if t.shape else "scalar"


def draw_graph(t: Any, path: str | os.PathLike[str] | None = None, *, model: Any = None) -> str:
    """The graph that computed the Tensor ``t``, as DOT text: one box per op or layer (name and output
    shape), an ellipse per leaf (Parameters by name: from ``model.named_parameters()`` if given, else
    "Layer.weight"), edges in data-flow order. With ``path`` ending in .svg or .png, also render it
    with Graphviz's ``dot``. Returns the DOT text."""
    names: dict[int, str] = {id(p): n for n, p in model.named_parameters()} if model is not None else {}
    order = topological_order(t)
    for x in order:  # a layer node names its own parameters when no model does
        layer = getattr(x._ctx, "layer", None)
        if layer is not None:
            for n, p in layer.named_parameters():
                names.setdefault(id(p), f"{type(layer).__name__}.{n}")
    inputs = [  # tensors fed in without requires_grad (e.g. the data): drawn, not differentiated
        x for t_ in order if t_._ctx is not None for x in t_._ctx.inputs if hasattr(x, "_ctx")
    ]
    order = list({id(x): x for x in inputs if not x.requires_grad}.values()) + order
    ids = {id(x): f"n{i}" for i, x in enumerate(order)}
    lines = ["digraph G {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=11];']
    for x in order:
        if x._ctx is not None:
            label, shape = f"{x._ctx.name()}\\n{_shape(x)}", "box"
        elif id(x) in names:
            label, shape = f"{names[id(x)]}\\n{_shape(x)}", "ellipse"
        else:
            label, shape = f"input\\n{_shape(x)}", "ellipse"
        style = ', style=filled, fillcolor="#e8f0fe"' if x._ctx is not None else ""
        lines.append(f'  {ids[id(x)]} [label="{label}", shape={shape}{style}];')
    for x in order:
        if x._ctx is not None:
            for inp in x._ctx.inputs:
                if id(inp) in ids:
                    lines.append(f"  {ids[id(inp)]} -> {ids[id(x)]};")
    lines.append("}")
    dot = "\n".join(lines) + "\n"
    if path is not None:
        _render(dot, os.fspath(path))
    return dot


def _render(dot: str, path: str) -> None:
    fmt = os.path.splitext(path)[1].lstrip(".").lower()
    if fmt not in ("svg", "png"):
        raise fail("draw_graph", "path", "end in .svg or .png", path)
    exe = shutil.which("dot")
    if exe is None:
        fix = (
            "install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) or "
            "`conda install graphviz`, or call draw_graph(t) without a path to get the DOT text"
        )
        rule = "have Graphviz's `dot` program installed"
        raise fail("draw_graph", "rendering to a file", rule, "no `dot` on the PATH", fix, RuntimeError)
    image = subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True, check=True).stdout
    with atomic_write(path) as f:
        f.write(image)
