"""Every formula is defined once: no two classes of the same name in the package (a formula whose layer
has its name is called ``<Layer>Function``, e.g. ``ops.linear.LinearFunction`` for ``nn.Linear``)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tinygrad_np"


def class_definitions() -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                found[node.name].append(str(path.relative_to(PACKAGE.parent)))
    return found


def test_no_two_classes_share_a_name() -> None:
    found = class_definitions()
    assert {"Module", "LinearFunction", "Linear", "Function"} <= set(found)  # the walk really reads them
    twice = {name: where for name, where in found.items() if len(where) > 1}
    assert not twice, f"classes defined more than once: {twice}"


def test_every_layer_runs_a_function_of_the_ops_package() -> None:
    import tinygrad_np as tnp
    from tinygrad_np.autograd.function import Function

    layers = [tnp.Linear(3, 2, rng=0), tnp.ReLU(), tnp.Sigmoid(), tnp.Tanh(), tnp.LeakyReLU(), tnp.Softmax(1),
              tnp.LogSoftmax(1), tnp.Dropout(0.5, rng=0)]  # fmt: skip
    import numpy as np

    x = np.random.default_rng(0).normal(size=(4, 3))
    for layer in layers:
        layer(x)
        assert isinstance(layer._cache, Function), layer  # the cache is the formula's ctx
        assert type(layer._cache).__module__.startswith("tinygrad_np.ops."), layer
